package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/smsbridge/smsbridge/configs"
)

// errHelp means -h was asked for and usage printed: not a failure.
var errHelp = errors.New("help requested")

func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: smsbridge %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageError{err}
	}
	return nil
}

// loadConfig reads FILE, or returns the embedded default when path is "".
func loadConfig(path string) (*configs.Config, error) {
	if path == "" {
		return configs.Default(), nil
	}
	cfg, err := configs.Load(path)
	if err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}
