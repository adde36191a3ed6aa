package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/api"
	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/priority"
)

const sendSynopsis = "[-config FILE] [-from ADDRESS] [-priority CLASS] -to NUMBER[,NUMBER…] [TEXT…|-]"

// sendCmd queues one text as SMS without a mail: through the running
// daemon's API when it holds the store, else straight into the store (the
// next `smsbridge serve` sends it). The text is read from stdin when it is
// "-" or absent, for alert scripts that pipe it.
func sendCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("send", sendSynopsis, stderr)
	configPath := fs.String("config", "", "configuration `file` (default: the embedded default)")
	to := fs.String("to", "", "destination `numbers`, comma-separated: any common form, or alias names")
	from := fs.String("from", "", "mail `address` told about delivery (per [receipts] mode); none by default")
	class := priority.Normal
	fs.TextVar(&class, "priority", priority.Normal, "`class` of the text: urgent, normal or bulk")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	text, err := sendTextArg(fs.Args(), stdin)
	if err != nil {
		return err
	}
	if *to == "" || strings.TrimSpace(text) == "" {
		fs.Usage()
		return usageError{errors.New("send needs -to and a text")}
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	numbers := strings.Split(*to, ",")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id, via, err := sendText(ctx, cfg, numbers, *from, text, class)
	if err != nil {
		return asUsage(err)
	}
	fmt.Fprintf(stdout, "queued as %s %s\n", id, via)
	return nil
}

// sendTextArg is the text to send: the arguments, or stdin when they are
// "-" or none. A terminal on stdin with no arguments is a usage mistake,
// not a text to wait for.
func sendTextArg(args []string, stdin io.Reader) (string, error) {
	if len(args) > 0 && (len(args) != 1 || args[0] != "-") {
		return strings.Join(args, " "), nil
	}
	if f, ok := stdin.(*os.File); ok && len(args) == 0 {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return "", nil
		}
	}
	b, err := io.ReadAll(io.LimitReader(stdin, maxSendText+1))
	if err != nil {
		return "", fmt.Errorf("reading the text from stdin: %w", err)
	}
	if len(b) > maxSendText {
		return "", usageError{fmt.Errorf("the text on stdin is longer than %d bytes", maxSendText)}
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// maxSendText bounds what send reads from stdin: far more than any SMS
// (the message is cut to max_parts anyway), far less than a runaway pipe.
const maxSendText = 1 << 20

func sendText(ctx context.Context, cfg *configs.Config, to []string, from, text string, class priority.Class) (id, via string, err error) {
	st, err := openStoreOrDaemon(cfg)
	if errors.Is(err, errDaemonHolds) {
		c, err := newDaemonClient(cfg)
		if err != nil {
			return "", "", err
		}
		var m api.MessageView
		err = c.do(ctx, "POST", "/api/v1/messages", map[string]any{"to": to, "text": text, "from": from, "priority": class}, &m)
		return m.ID, "by the running smsbridge", err
	}
	if err != nil {
		return "", "", err
	}
	defer st.Close()
	bcfg, err := bridge.ConfigFrom(cfg)
	if err != nil {
		return "", "", usageError{err}
	}
	lanes, err := buildLanes(cfg, quietLogger(), st, nil)
	if err != nil {
		return "", "", usageError{err}
	}
	gw, err := bridge.New(bcfg, bridge.Options{Store: st, Lanes: lanes, Mailer: buildMailer(cfg), Logger: quietLogger()})
	if err != nil {
		return "", "", usageError{err}
	}
	numbers, err := gw.ResolveNumbers(to)
	if err != nil {
		return "", "", err
	}
	id, err = gw.SendClassText(ctx, "cli", from, numbers, text, class)
	return id, "in " + cfg.Store.Path + "; smsbridge serve sends it", err
}
