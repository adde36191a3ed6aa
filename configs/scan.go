package configs

import (
	"strconv"
	"strings"
)

// scanner walks a TOML document statement by statement for the locator:
// table headers and keys are read, values skipped (strings, multi-line
// arrays and inline tables included) while lines are counted.
type scanner struct {
	s    string
	i    int
	line int
}

func (sc *scanner) eof() bool  { return sc.i >= len(sc.s) }
func (sc *scanner) peek() byte { return sc.s[sc.i] }

func (sc *scanner) next() byte {
	c := sc.s[sc.i]
	sc.i++
	if c == '\n' {
		sc.line++
	}
	return c
}

func (sc *scanner) run(l *locator) {
	var table []string
	tablePath := ""
	for {
		sc.skipBlank()
		if sc.eof() {
			return
		}
		line := sc.line
		if sc.peek() == '[' {
			sc.next()
			array := !sc.eof() && sc.peek() == '['
			if array {
				sc.next()
			}
			table = sc.key()
			tablePath = l.header(table, array, line)
			sc.skipLine()
			continue
		}
		pieces := sc.key()
		if len(pieces) == 0 {
			sc.skipLine() // not a statement the scanner knows: move on
			continue
		}
		full := append(append([]string(nil), table...), pieces...)
		l.record(joinPath(tablePath, pieces...), full, line)
		sc.skipSpace()
		if !sc.eof() && sc.peek() == '=' {
			sc.next()
		}
		sc.skipValue()
	}
}

// skipBlank skips white space, newlines and comments between statements.
func (sc *scanner) skipBlank() {
	for !sc.eof() {
		switch sc.peek() {
		case ' ', '\t', '\r', '\n':
			sc.next()
		case '#':
			sc.skipComment()
		default:
			return
		}
	}
}

func (sc *scanner) skipSpace() {
	for !sc.eof() && (sc.peek() == ' ' || sc.peek() == '\t') {
		sc.next()
	}
}

func (sc *scanner) skipComment() {
	for !sc.eof() && sc.peek() != '\n' {
		sc.next()
	}
}

func (sc *scanner) skipLine() {
	sc.skipComment()
	if !sc.eof() {
		sc.next()
	}
}

// key reads a dotted key: bare, "basic" or 'literal' pieces.
func (sc *scanner) key() []string {
	var pieces []string
	for {
		sc.skipSpace()
		if sc.eof() {
			return pieces
		}
		var p string
		switch c := sc.peek(); {
		case c == '"':
			p = sc.basicKey()
		case c == '\'':
			sc.next()
			p = sc.until('\'')
		case isBare(c):
			start := sc.i
			for !sc.eof() && isBare(sc.peek()) {
				sc.next()
			}
			p = sc.s[start:sc.i]
		default:
			return pieces
		}
		pieces = append(pieces, p)
		sc.skipSpace()
		if sc.eof() || sc.peek() != '.' {
			return pieces
		}
		sc.next()
	}
}

func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// basicKey reads a "quoted" key and unescapes it as far as Go's rules agree
// with TOML's, which covers every key worth naming in a message.
func (sc *scanner) basicKey() string {
	start := sc.i
	sc.skipBasic()
	raw := sc.s[start:sc.i]
	if k, err := strconv.Unquote(raw); err == nil {
		return k
	}
	return strings.Trim(raw, `"`)
}

// until reads up to the byte c on the same line and consumes c.
func (sc *scanner) until(c byte) string {
	start := sc.i
	for !sc.eof() && sc.peek() != c && sc.peek() != '\n' {
		sc.next()
	}
	s := sc.s[start:sc.i]
	if !sc.eof() && sc.peek() == c {
		sc.next()
	}
	return s
}

// skipBasic skips a "basic string" starting at its opening quote.
func (sc *scanner) skipBasic() {
	sc.next()
	for !sc.eof() {
		switch sc.peek() {
		case '\\':
			sc.next()
			if !sc.eof() && sc.peek() != '\n' {
				sc.next()
			}
		case '"':
			sc.next()
			return
		case '\n':
			return
		default:
			sc.next()
		}
	}
}

// skipMulti skips a multi-line string whose opening delimiter q (three
// double or three single quotes) has been consumed; up to two extra quotes
// may end the content.
func (sc *scanner) skipMulti(q string, escapes bool) {
	for !sc.eof() {
		if escapes && sc.peek() == '\\' {
			sc.next()
			if !sc.eof() {
				sc.next()
			}
			continue
		}
		if strings.HasPrefix(sc.s[sc.i:], q) {
			for range 3 {
				sc.next()
			}
			for n := 0; n < 2 && !sc.eof() && sc.peek() == q[0]; n++ {
				sc.next()
			}
			return
		}
		sc.next()
	}
}

// skipValue skips a value through the end of its last line.
func (sc *scanner) skipValue() {
	depth := 0
	for !sc.eof() {
		rest := sc.s[sc.i:]
		switch c := sc.peek(); {
		case strings.HasPrefix(rest, `"""`) || strings.HasPrefix(rest, `'''`):
			sc.i += 3
			sc.skipMulti(rest[:3], c == '"')
		case c == '"':
			sc.skipBasic()
		case c == '\'':
			sc.next()
			sc.until('\'')
		case c == '#':
			sc.skipComment()
		case c == '[' || c == '{':
			depth++
			sc.next()
		case c == ']' || c == '}':
			depth = max(depth-1, 0)
			sc.next()
		case c == '\n':
			sc.next()
			if depth == 0 {
				return
			}
		default:
			sc.next()
		}
	}
}
