package configs

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// Error is a configuration error, printed "file:line: key: message"; the line
// is left out when unknown, the key when the error is about the whole file.
type Error struct {
	File string
	Line int
	Key  string // plain TOML key, e.g. "transports.window"
	Msg  string

	path  string // the key with array indexes, to find its line
	cause error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		b.WriteString("line " + strconv.Itoa(e.Line) + ": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying error, if any (a read error, a bad regexp).
func (e *Error) Unwrap() error { return e.cause }

var indexRE = regexp.MustCompile(`\[\d+\]`)

// plainKey drops array indexes from a path: "transports[1].window" →
// "transports.window".
func plainKey(path string) string { return indexRE.ReplaceAllString(path, "") }

// configErrors lists the *Error values in err (one, or several joined).
func configErrors(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		var ce *Error
		switch e := err.(type) {
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		default:
			if errors.As(err, &ce) {
				out = append(out, ce)
			}
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}
