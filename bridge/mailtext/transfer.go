package mailtext

import (
	"bytes"
	"encoding/base64"
	"strings"
)

// transferEncoding normalizes a Content-Transfer-Encoding value, accepting
// the misspellings seen in the wild.
func transferEncoding(v string) string {
	v = strings.ToLower(strings.Trim(strings.TrimSpace(v), `"'`))
	switch v {
	case "", "7bit", "7-bit", "8bit", "8-bit", "8bits", "binary":
		return "identity"
	case "quoted-printable", "quoted_printable", "quotedprintable":
		return "quoted-printable"
	case "base64", "base-64":
		return "base64"
	}
	return v
}

// decodeTransfer decodes b; ok is false for an encoding it does not know.
// Broken input is decoded as far as it goes; bad counts the bytes skipped.
func decodeTransfer(enc string, b []byte) (out []byte, bad int, ok bool) {
	switch enc {
	case "identity":
		return b, 0, true
	case "quoted-printable":
		out, bad = decodeQP(b)
		return out, bad, true
	case "base64":
		out, bad = decodeBase64(b)
		return out, bad, true
	}
	return nil, 0, false
}

// decodeQP decodes quoted-printable leniently: a "=" not followed by two hex
// digits or a line end is kept as written, and unencoded trailing white
// space (transport padding, RFC 2045 6.7) is dropped.
func decodeQP(src []byte) ([]byte, int) {
	out := make([]byte, 0, len(src))
	bad := 0
	for len(src) > 0 {
		line, rest, nl := bytes.Cut(src, []byte("\n"))
		src = rest
		line = bytes.TrimRight(bytes.TrimSuffix(line, []byte("\r")), " \t")
		soft := bytes.HasSuffix(line, []byte("="))
		if soft {
			line = line[:len(line)-1]
		}
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c == '=' {
				if i+2 < len(line) && isHex(line[i+1]) && isHex(line[i+2]) {
					out = append(out, unhex(line[i+1])<<4|unhex(line[i+2]))
					i += 2
					continue
				}
				bad++
			}
			out = append(out, c)
		}
		if nl && !soft {
			out = append(out, '\n')
		}
	}
	return out, bad
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// decodeBase64 decodes base64 leniently: bytes outside the alphabet are
// skipped, URL-safe letters accepted, and "=" ends a group so that
// concatenated encodings decode too. A final lone sextet is dropped.
func decodeBase64(src []byte) ([]byte, int) {
	out := make([]byte, 0, len(src)/4*3+3)
	group := make([]byte, 0, len(src))
	bad := 0
	flush := func() {
		if len(group)%4 == 1 {
			group = group[:len(group)-1]
			bad++
		}
		out, _ = base64.RawStdEncoding.AppendDecode(out, group)
		group = group[:0]
	}
	for _, c := range src {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '+', c == '/':
			group = append(group, c)
		case c == '-':
			group = append(group, '+')
		case c == '_':
			group = append(group, '/')
		case c == '=':
			flush()
		case c == ' ', c == '\t', c == '\r', c == '\n':
		default:
			bad++
		}
	}
	flush()
	return out, bad
}
