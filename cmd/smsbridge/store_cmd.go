package main

import (
	"errors"
	"fmt"
	"io"

	bolt "go.etcd.io/bbolt"

	"github.com/smsbridge/smsbridge/store"
)

const storeSynopsis = "[-config FILE] check [QUEUE_FILE] | salvage [QUEUE_FILE] NEW_FILE | " + storeCopySynopsis

// storeCmd checks the queue file, copies what can be read of a damaged
// one into a new file, or copies a whole queue from one store to another.
// The queue file is the configuration's unless named.
func storeCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("store", storeSynopsis, stderr)
	configPath := fs.String("config", "", "configuration `file` naming the queue file (default: the embedded default)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	rest := fs.Args()
	bad := usageError{errors.New("usage: smsbridge store " + storeSynopsis)}
	if len(rest) == 0 {
		return bad
	}
	queueFile := func(named []string) (string, error) {
		if len(named) == 1 {
			return named[0], nil
		}
		cfg, err := loadConfig(*configPath)
		if err != nil {
			return "", err
		}
		return cfg.Store.Path, nil
	}
	switch {
	case rest[0] == "copy":
		return storeCopy(rest[1:], stdout, stderr)
	case rest[0] == "check" && len(rest) <= 2:
		path, err := queueFile(rest[1:])
		if err != nil {
			return err
		}
		if err := store.Check(path, lockWait); err != nil {
			return storeError(err)
		}
		fmt.Fprintf(stdout, "%s: ok\n", path)
		return nil
	case rest[0] == "salvage" && (len(rest) == 2 || len(rest) == 3):
		path, err := queueFile(rest[1 : len(rest)-1])
		if err != nil {
			return err
		}
		out := rest[len(rest)-1]
		rep, err := store.Salvage(path, out)
		if err != nil {
			return storeError(err)
		}
		fmt.Fprintf(stdout, "%s: %d buckets and %d records copied into %s; %d damaged parts left behind\n",
			path, rep.Buckets, rep.Keys, out, len(rep.Skipped))
		for _, s := range rep.Skipped {
			fmt.Fprintf(stdout, "  skipped: %s\n", s)
		}
		if len(rep.Skipped) > 0 {
			fmt.Fprintf(stdout, "check the copy with 'smsbridge store check %s', then put it in place of %s with smsbridge stopped\n", out, path)
		}
		return nil
	}
	return bad
}

// storeError keeps the error to one line, naming a daemon that holds the file.
func storeError(err error) error {
	if errors.Is(err, bolt.ErrTimeout) {
		return fmt.Errorf("%w (is smsbridge serve running? stop it first)", err)
	}
	return err
}
