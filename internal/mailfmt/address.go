// Package mailfmt makes the values the gateway writes into SMTP commands and
// mail headers safe to write: addresses parsed and quoted as RFC 5321 asks
// (or refused), header text without line breaks or control characters, and
// mail text in CRLF lines. Most of these values come from the network (a
// sender's MAIL FROM, an SMSC's source address, a mail's subject), so none of
// them is ever concatenated into a command or a header unchecked.
package mailfmt

import (
	"fmt"
	"net/mail"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
)

// RFC 5321 section 4.5.3.1 limits.
const (
	maxLocal  = 64
	maxDomain = 255
)

// Address is a mailbox: its local part as meant (quotes and escapes
// removed) and its domain.
type Address struct {
	Local  string
	Domain string
}

// AddressError says why an address cannot be written.
type AddressError struct {
	Address string
	Reason  string
}

func (e *AddressError) Error() string {
	return fmt.Sprintf("address %q cannot be written safely: %s", e.Address, e.Reason)
}

// ParseUnquoted reads the form go-smtp and net/mail hand out: "local@domain"
// with the local part's quotes and escapes already removed. The domain is
// what follows the last '@'. A local part that itself holds an '@' is
// refused: that form cannot tell `"a@b"@c` from a malformed `a@b@c`, and
// smarthosts that look inside quotes would route on it. So is anything that
// cannot be written back exactly: control characters, consecutive spaces,
// invalid UTF-8, parts over RFC 5321's lengths, a domain with characters no
// domain has.
func ParseUnquoted(s string) (Address, error) {
	bad := func(why string) (Address, error) { return Address{}, &AddressError{Address: s, Reason: why} }
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return bad("no '@'")
	}
	a := Address{Local: s[:at], Domain: s[at+1:]}
	switch {
	case a.Local == "":
		return bad("empty local part")
	case strings.Contains(a.Local, "@"):
		return bad("'@' in the local part")
	case len(a.Local) > maxLocal:
		return bad("local part longer than 64 octets")
	case !utf8.ValidString(a.Local):
		return bad("local part is not valid UTF-8")
	case strings.ContainsFunc(a.Local, unicode.IsControl):
		return bad("control character in the local part")
	case strings.Contains(a.Local, "  "):
		// A header folded there reads back with one space.
		return bad("consecutive spaces in the local part")
	}
	if why := checkDomain(a.Domain); why != "" {
		return bad(why)
	}
	return a, nil
}

// checkDomain returns why d cannot be written as a domain or address
// literal, or "". It checks writability, not existence: labels of letters,
// digits, '-' and UTF-8 (SMTPUTF8), or an IPv4 or IPv6 address literal.
func checkDomain(d string) string {
	switch {
	case d == "":
		return "empty domain"
	case len(d) > maxDomain:
		return "domain longer than 255 octets"
	case !utf8.ValidString(d):
		return "domain is not valid UTF-8"
	case strings.HasPrefix(d, "["):
		inner, ok := strings.CutSuffix(d[1:], "]")
		ip := inner
		if len(inner) > 5 && strings.EqualFold(inner[:5], "IPv6:") {
			ip = inner[5:]
		}
		a, err := netip.ParseAddr(ip)
		if !ok || err != nil || a.Zone() != "" || a.Is6() != (ip != inner) || a.Is4In6() {
			return "bad address literal"
		}
		return ""
	}
	for label := range strings.SplitSeq(d, ".") {
		if label == "" {
			return "empty label in the domain"
		}
		if strings.ContainsFunc(label, func(r rune) bool { return !isDomainRune(r) }) {
			return "character in the domain that no domain has"
		}
	}
	return ""
}

// isDomainRune reports whether r can be in a domain label: LDH, or a
// letter, digit or mark of an internationalised domain.
func isDomainRune(r rune) bool {
	switch {
	case r == '-', r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		return true
	case r >= utf8.RuneSelf:
		return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
	}
	return false
}

// String is the address as RFC 5321 writes it in MAIL FROM and RCPT TO
// (without the angle brackets): the local part as a Dot-string when it is
// one, else as a Quoted-string.
func (a Address) String() string {
	return quoteLocal(a.Local) + "@" + a.Domain
}

// Unquoted is the form ParseUnquoted reads.
func (a Address) Unquoted() string { return a.Local + "@" + a.Domain }

// Mail is the address for go-message's header writer, which quotes the
// local part itself and encodes the display name.
func (a Address) Mail(name string) *mail.Address {
	return &mail.Address{Name: name, Address: a.Unquoted()}
}

func quoteLocal(local string) string {
	if isDotString(local) {
		return local
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range local {
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// isDotString reports whether s is atoms of atext joined by single dots
// (RFC 5321 Dot-string; RFC 6531 adds UTF-8 to atext).
func isDotString(s string) bool {
	for atom := range strings.SplitSeq(s, ".") {
		if atom == "" || strings.ContainsFunc(atom, func(r rune) bool { return !isAtext(r) }) {
			return false
		}
	}
	return true
}

func isAtext(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	case r >= utf8.RuneSelf:
		return !unicode.IsControl(r) && !unicode.IsSpace(r)
	}
	return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
}
