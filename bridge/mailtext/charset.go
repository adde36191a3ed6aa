package mailtext

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
)

// toUTF8 converts text in the declared charset to UTF-8. Undeclared or
// ASCII-declared 8-bit text is read as UTF-8 when valid, else as
// Windows-1252; invalid bytes in declared UTF-8 are read as Windows-1252 one
// by one so that the valid characters around them survive.
func (w *walker) toUTF8(b []byte, label, path string) string {
	label = strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	switch label {
	case "", "unknown-8bit", "x-unknown", "default":
		return guessText(b)
	case "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us":
		if !utf8.Valid(b) && !isASCII(b) {
			w.warn("part %s: declared %s but holds 8-bit data: read as Windows-1252", path, label)
		}
		return guessText(b)
	case "utf-8", "utf8":
		if !utf8.Valid(b) {
			w.warn("part %s: invalid UTF-8: bad bytes read as Windows-1252", path)
		}
		return mixedUTF8(b)
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "l1", "windows-1252", "cp1252":
		// As browsers do: Latin-1 labels mostly hide Windows-1252 text.
		return cp1252(b)
	}
	if isUTF16Label(label) {
		return decodeUTF16(b, label)
	}
	r, err := charset.Reader(label, bytes.NewReader(b))
	if err != nil {
		w.warn("part %s: unknown charset %q: read as UTF-8 or Windows-1252", path, label)
		return guessText(b)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		w.warn("part %s: decoding charset %q: %v", path, label, err)
	}
	return strings.ToValidUTF8(string(out), "\uFFFD")
}

// guessText reads b as UTF-8 if it is valid, else as Windows-1252.
func guessText(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return cp1252(b)
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// mixedUTF8 keeps valid UTF-8 and reads each invalid byte as Windows-1252.
func mixedUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/4)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			r = cp1252Rune(b[0])
		}
		sb.WriteRune(r)
		b = b[n:]
	}
	return sb.String()
}

// cp1252High maps Windows-1252 bytes 0x80-0x9F; the rest equal Latin-1.
var cp1252High = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
}

func cp1252Rune(c byte) rune {
	if c >= 0x80 && c < 0xA0 {
		return cp1252High[c-0x80]
	}
	return rune(c)
}

func cp1252(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/4)
	for _, c := range b {
		if c < 0x80 {
			sb.WriteByte(c)
		} else {
			sb.WriteRune(cp1252Rune(c))
		}
	}
	return sb.String()
}

// wordDecoder decodes RFC 2047 encoded words with go-message's charsets.
var wordDecoder = &mime.WordDecoder{CharsetReader: func(label string, in io.Reader) (io.Reader, error) {
	label = strings.ToLower(label)
	switch {
	case label == "iso-8859-1", label == "latin1", label == "windows-1252", label == "cp1252":
		b, err := io.ReadAll(in)
		return strings.NewReader(cp1252(b)), err
	case isUTF16Label(label):
		b, err := io.ReadAll(in)
		return strings.NewReader(decodeUTF16(b, label)), err
	}
	r, err := charset.Reader(label, in)
	if err != nil {
		return nil, fmt.Errorf("charset %q: %w", label, err)
	}
	return r, nil
}}

// decodeSubject decodes a Subject header to one line of UTF-8.
func decodeSubject(raw string, w *walker) string {
	raw = guessText([]byte(raw))
	s, err := wordDecoder.DecodeHeader(raw)
	if err != nil {
		w.warn("subject: %v", err)
		s = decodeWordsOneByOne(raw)
	}
	s = collapseLine(normalize(s))
	return truncateUTF8(s, maxSubjectBytes)
}

// decodeWordsOneByOne decodes the encoded words it can and keeps the rest
// as written; it is the fallback when one word names an unknown charset.
func decodeWordsOneByOne(raw string) string {
	var sb strings.Builder
	prevDecoded := false
	for i, f := range strings.Fields(raw) {
		d, err := wordDecoder.Decode(f)
		decoded := err == nil && strings.HasPrefix(f, "=?")
		if !decoded {
			d = f
		}
		// RFC 2047 6.2: white space between encoded words is not text.
		if i > 0 && !(decoded && prevDecoded) {
			sb.WriteByte(' ')
		}
		sb.WriteString(d)
		prevDecoded = decoded
	}
	return sb.String()
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
