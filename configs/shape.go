package configs

import (
	"fmt"
	"strings"
)

// Bounds on a configuration file, checked before it is parsed: the toml
// package spends time and memory out of all proportion on deep nesting (a
// 70 KB file of dotted keys took 33 s and 3.4 GB). Real files are a few KB
// and nest three levels deep; at these bounds the worst file found costs
// about a second and 125 MB.
const (
	MaxFileBytes = 256 << 10
	MaxNesting   = 8 // brackets and braces open at once, or pieces of one dotted key
)

// checkShape refuses a document over MaxFileBytes or nested deeper than
// MaxNesting. It is a lexer, not a parser: it knows strings and comments,
// counts open brackets and braces, and counts the dots outside strings
// between two separators (= , [ ] { } and newlines), which is the number
// of pieces of a dotted key less one (a float has one dot).
func checkShape(src, name string) error {
	if len(src) > MaxFileBytes {
		return &Error{File: name, Msg: fmt.Sprintf("file is %d bytes, larger than the %d allowed", len(src), MaxFileBytes)}
	}
	depth, dots, line := 0, 0, 1
	tooDeep := func() error {
		return &Error{File: name, Line: line, Msg: fmt.Sprintf("nested deeper than %d levels", MaxNesting)}
	}
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '\n':
			line++
			dots = 0
		case '#':
			for i+1 < len(src) && src[i+1] != '\n' {
				i++
			}
		case '"', '\'':
			end, lines := stringEnd(src, i)
			i, line = end, line+lines
		case '[', '{':
			if depth++; depth > MaxNesting {
				return tooDeep()
			}
			dots = 0
		case ']', '}':
			depth = max(depth-1, 0)
			dots = 0
		case '=', ',':
			dots = 0
		case '.':
			if dots++; dots >= MaxNesting {
				return tooDeep()
			}
		}
	}
	return nil
}

// stringEnd returns the index of the last byte of the string starting at
// src[i] (basic, literal, or either multi-line kind) and the newlines in it.
// An unterminated string ends at its line's end (single-line kinds) or at
// the end of src; the parser reports it.
func stringEnd(src string, i int) (end, lines int) {
	q := src[i]
	escapes := q == '"'
	if strings.HasPrefix(src[i:], strings.Repeat(string(q), 3)) {
		delim := strings.Repeat(string(q), 3)
		for j := i + 3; j < len(src); j++ {
			switch {
			case escapes && src[j] == '\\':
				if j+1 < len(src) && src[j+1] == '\n' {
					lines++
				}
				j++
			case strings.HasPrefix(src[j:], delim):
				// Up to two more quotes may belong to the content.
				k := j + 3
				for n := 0; n < 2 && k < len(src) && src[k] == q; n++ {
					k++
				}
				return k - 1, lines
			case src[j] == '\n':
				lines++
			}
		}
		return len(src) - 1, lines
	}
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			if escapes {
				j++
			}
		case q:
			return j, 0
		case '\n':
			return j - 1, 0
		}
	}
	return len(src) - 1, 0
}
