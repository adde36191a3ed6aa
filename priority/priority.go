// Package priority names the classes an SMS is served in (urgent, normal,
// bulk), reads a mail's class from its headers and applies the configured
// overrides per SMTP user, envelope sender and alias.
package priority

import (
	"bufio"
	"bytes"
	"fmt"
	"net/textproto"
	"strings"
)

// Class is a message's priority class. The zero value is Normal, so records
// and callers that predate classes are served as before.
type Class uint8

const (
	Normal Class = iota
	Urgent
	Bulk
)

// Classes lists every class in serving order, most urgent first.
var Classes = [...]Class{Urgent, Normal, Bulk}

var names = [...]string{Normal: "normal", Urgent: "urgent", Bulk: "bulk"}

// Names are the class names in serving order, for messages and docs.
const Names = "urgent, normal, bulk"

func (c Class) String() string {
	if int(c) < len(names) {
		return names[c]
	}
	return fmt.Sprintf("Class(%d)", c)
}

// Rank is the class's place in serving order: 0 is served first.
func (c Class) Rank() int {
	switch c {
	case Urgent:
		return 0
	case Bulk:
		return 2
	}
	return 1
}

// Valid reports whether c is one of the named classes.
func (c Class) Valid() bool { return int(c) < len(names) }

// Parse reads a class name (case-insensitive).
func Parse(s string) (Class, error) {
	for c, n := range names {
		if strings.EqualFold(s, n) {
			return Class(c), nil
		}
	}
	return Normal, fmt.Errorf("%q is not a priority class (%s)", s, Names)
}

// MarshalText writes the class name (JSON, TOML).
func (c Class) MarshalText() ([]byte, error) {
	if !c.Valid() {
		return nil, fmt.Errorf("priority: invalid class %d", c)
	}
	return []byte(c.String()), nil
}

// UnmarshalText reads a class name.
func (c *Class) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// FromHeader derives the class a mail asks for from its headers; get
// returns a header field's value ("" when absent).
//
// Precedence: bulk, list or junk makes any mail bulk (list software keeps
// the poster's other headers). Otherwise the first of Priority (RFC 2156:
// urgent, normal, non-urgent), X-Priority (1–2 high, 3 normal, 4–5 low)
// and Importance (high, normal, low) that holds a known value decides:
// high is urgent, low is bulk.
func FromHeader(get func(name string) string) Class {
	switch firstWord(get("Precedence")) {
	case "bulk", "list", "junk":
		return Bulk
	}
	switch firstWord(get("Priority")) {
	case "urgent":
		return Urgent
	case "normal":
		return Normal
	case "non-urgent":
		return Bulk
	}
	if x := firstWord(get("X-Priority")); x != "" {
		switch x[0] {
		case '1', '2':
			return Urgent
		case '3':
			return Normal
		case '4', '5':
			return Bulk
		}
	}
	switch firstWord(get("Importance")) {
	case "high":
		return Urgent
	case "low":
		return Bulk
	}
	return Normal
}

// firstWord is a header value's first word, lowercased, without comments
// such as "1 (Highest)".
func firstWord(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexAny(v, " \t(;"); i >= 0 {
		v = v[:i]
	}
	return strings.ToLower(v)
}

// FromMail reads the class from a raw mail's header section. A header that
// does not parse up to the fields that matter leaves the mail normal.
func FromMail(data []byte) Class {
	end := len(data)
	if i := bytes.Index(data, []byte("\r\n\r\n")); i >= 0 {
		end = i + 4
	} else if i := bytes.Index(data, []byte("\n\n")); i >= 0 {
		end = i + 2
	}
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(data[:end])))
	h, err := r.ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return Normal
	}
	return FromHeader(h.Get)
}
