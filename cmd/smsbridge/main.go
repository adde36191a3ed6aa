// Command smsbridge is an email-to-SMS gateway: an SMTP server that turns
// mail to <number>@<sms domain> into SMS sent through an SMSC or a modem.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/smsbridge/smsbridge/store"
)

// Exit statuses, as the product contract names them.
const (
	exitOK      = 0
	exitFailure = 1 // runtime failure
	exitUsage   = 2 // bad usage or bad configuration
)

const usage = `usage: smsbridge <command> [flags]

commands:
  serve    [-config FILE]                 run the gateway (embedded default without -config)
  preview  [-config FILE] [-json] [FILE]  show what a mail (file or stdin) becomes; sends nothing
  send     [-config FILE] [-from ADDRESS] -to NUMBER[,NUMBER…] [TEXT…|-]
                                          queue SMS without mail (tests a route)
  check    [-config FILE]                 validate the configuration, print it and its routes
  queue    [-config FILE] list|show ID|retry ID|cancel ID
                                          the queue, through the running daemon or the store
  store    [-config FILE] check [QUEUE_FILE] | salvage [QUEUE_FILE] NEW_FILE
                                          check the queue file; copy what can be read of a damaged one
  store    copy -from SPEC -to SPEC       move a whole queue to another store (SPEC: bbolt:PATH, nats:URL)
  passwd   [-cost N] < PASSWORD           print a bcrypt hash for [[smtp.users]] password_hash
  carriers [list | lookup ADDRESS]        the carrier email-to-SMS gateway table
  version                                 print the version

Run 'smsbridge <command> -h' for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(args[1:], stderr)
	case "preview":
		err = preview(args[1:], stdin, stdout, stderr)
	case "send":
		err = sendCmd(args[1:], stdin, stdout, stderr)
	case "check":
		err = checkCmd(args[1:], stdout, stderr)
	case "queue":
		err = queueCmd(args[1:], stdout, stderr)
	case "store":
		err = storeCmd(args[1:], stdout, stderr)
	case "passwd":
		err = passwd(args[1:], stdin, stdout, stderr)
	case "carriers":
		err = carriersCmd(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "smsbridge", version())
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "smsbridge: unknown command %q\n%s", args[0], usage)
		return exitUsage
	}
	return exitCode(err, stderr)
}

// usageError is bad usage or bad configuration: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, errHelp) {
		return exitOK
	}
	fmt.Fprintln(stderr, "smsbridge:", err)
	var ue usageError
	if errors.As(err, &ue) || errors.Is(err, store.ErrDamaged) {
		return exitUsage
	}
	return exitFailure
}
