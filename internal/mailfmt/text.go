package mailfmt

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxText bounds a header value from the network. RFC 5322 lines end at
// 998 octets, and a word longer than a line can only be written by
// breaking it; a value this long still fits on one line with its name.
const maxText = 900

// Text makes s one line of header text: invalid UTF-8 becomes U+FFFD, and
// every run of spaces, line breaks and control characters (CR, LF, NUL
// among them) one space, so a value from the network can never start a
// header field of its own. It is cut to maxText octets.
func Text(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	if len(s) <= maxText {
		return s
	}
	cut := maxText
	for !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.TrimSpace(s[:cut])
}

// MsgID returns the identifier inside a Message-ID ("<left@right>"),
// without its brackets, or false when it is not one that can be echoed
// safely: printable ASCII without spaces or brackets, with an '@', at most
// maxText octets.
func MsgID(s string) (string, bool) {
	id, ok := strings.CutPrefix(strings.TrimSpace(s), "<")
	if !ok {
		return "", false
	}
	if id, ok = strings.CutSuffix(id, ">"); !ok {
		return "", false
	}
	left, right, ok := strings.Cut(id, "@")
	if !ok || len(id) > maxText || left == "" || right == "" || strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r > '~' || r == '<' || r == '>' }) {
		return "", false
	}
	return id, true
}

// CRLF makes every line end in CRLF: a CR or an LF alone becomes CRLF, so
// whatever reads the text sees the same lines as any other reader (and an
// SMTP client's dot-stuffing, which works on CRLF lines, misses none).
func CRLF(b []byte) []byte {
	if !bytes.ContainsAny(b, "\r\n") {
		return b
	}
	out := make([]byte, 0, len(b)+len(b)/32)
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '\r':
			out = append(out, '\r', '\n')
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
		case '\n':
			out = append(out, '\r', '\n')
		default:
			out = append(out, c)
		}
	}
	return out
}
