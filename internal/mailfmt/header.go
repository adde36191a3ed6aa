package mailfmt

import (
	"mime"
	"strings"
	"unicode"

	"github.com/emersion/go-message"
)

// Fields collects a header's fields in the order they are written. No
// value can hold a line break or a control character, and the header is
// written by go-message's header writer (which refuses line breaks in
// values too).
type Fields struct{ kv [][2]string }

// Add adds a field whose value is already in its header form. A control
// character or line break in it becomes a space; other spaces are kept,
// since they can be part of a quoted address.
func (f *Fields) Add(key, value string) {
	value = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(value, "\uFFFD"))
	f.kv = append(f.kv, [2]string{key, value})
}

// AddText adds free text, encoded (RFC 2047) from the first word that is
// not printable ASCII, so that a prefix such as "Delivered: " stays
// readable as it is.
func (f *Fields) AddText(key, text string) {
	text = Text(text)
	i := strings.IndexFunc(text, func(r rune) bool { return r < ' ' || r > '~' })
	if i < 0 {
		f.Add(key, text)
		return
	}
	start := strings.LastIndexByte(text[:i], ' ') + 1
	f.Add(key, text[:start]+mime.QEncoding.Encode("utf-8", text[start:]))
}

// AddAddress adds one address with an optional display name. net/mail
// (which go-message's SetAddressList uses) writes a printable ASCII name as
// a quoted string; any other is B-encoded here, since net/mail's Q-encoded
// names can hold characters its own parser refuses.
func (f *Fields) AddAddress(key, name string, a Address) {
	name = Text(name)
	if name == "" || !strings.ContainsFunc(name, func(r rune) bool { return r < ' ' || r > '~' }) {
		f.Add(key, a.Mail(name).String())
		return
	}
	f.Add(key, mime.BEncoding.Encode("utf-8", name)+" "+a.Mail("").String())
}

// AddMsgID adds a message identifier (given without its brackets).
func (f *Fields) AddMsgID(key, id string) { f.Add(key, "<"+id+">") }

// Header is the fields as a go-message header. go-message puts each field
// it is given first, so they are handed over last to first.
func (f *Fields) Header() message.Header {
	var h message.Header
	for i := len(f.kv) - 1; i >= 0; i-- {
		h.Add(f.kv[i][0], f.kv[i][1])
	}
	return h
}
