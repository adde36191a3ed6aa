package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// maxPasswordBytes is bcrypt's limit; longer passwords would be cut silently.
const maxPasswordBytes = 72

// passwd reads a password and prints its bcrypt hash, for [[smtp.users]]
// password_hash. From a terminal it asks twice with echo off; otherwise it
// reads the first line of stdin (`echo "$PW" | smsbridge passwd`).
func passwd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("passwd", "[-cost N] < password", stderr)
	cost := fs.Int("cost", bcrypt.DefaultCost, "bcrypt `cost` (work factor)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{errors.New("passwd takes no arguments; it reads the password from stdin")}
	}
	if *cost < bcrypt.MinCost || *cost > bcrypt.MaxCost {
		return usageError{fmt.Errorf("-cost must be between %d and %d", bcrypt.MinCost, bcrypt.MaxCost)}
	}
	pw, err := readPassword(stdin, stderr)
	if err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), *cost)
	if err != nil {
		return fmt.Errorf("hashing: %w", err)
	}
	fmt.Fprintln(stdout, string(hash))
	return nil
}

func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	r := bufio.NewReader(stdin)
	f, isFile := stdin.(*os.File)
	if !isFile || !isTerminal(f) {
		return checkPassword(readLine(r))
	}
	restore, err := echoOff(f)
	if err != nil {
		return "", fmt.Errorf("turning terminal echo off: %w", err)
	}
	defer restore()
	fmt.Fprint(stderr, "Password: ")
	first, err := checkPassword(readLine(r))
	fmt.Fprintln(stderr)
	if err != nil {
		return "", err
	}
	fmt.Fprint(stderr, "Again: ")
	again, err := readLine(r)
	fmt.Fprintln(stderr)
	if err != nil {
		return "", err
	}
	if again != first {
		return "", usageError{errors.New("the passwords differ")}
	}
	return first, nil
}

// readLine reads one line without its line ending; a last line without
// one counts.
func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return "", usageError{errors.New("no password on stdin")}
		}
		return "", fmt.Errorf("reading the password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func checkPassword(pw string, err error) (string, error) {
	switch {
	case err != nil:
		return "", err
	case pw == "":
		return "", usageError{errors.New("empty password")}
	case len(pw) > maxPasswordBytes:
		return "", usageError{fmt.Errorf("password longer than %d bytes, which bcrypt cannot use", maxPasswordBytes)}
	}
	return pw, nil
}
