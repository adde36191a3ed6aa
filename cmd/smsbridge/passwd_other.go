//go:build !linux

package main

import (
	"errors"
	"os"
)

// Elsewhere than Linux, passwd reads a piped password only: a terminal
// would echo it.
func isTerminal(*os.File) bool { return false }

func echoOff(*os.File) (func(), error) {
	return nil, errors.New("not supported on this system")
}
