package smtpd

import (
	"errors"
	"net/netip"
	"strings"
	"unicode/utf8"

	"github.com/smsbridge/smsbridge/internal/mailfmt"
)

// RFC 5321 section 4.5.3.1 limits.
const (
	maxLocalPart = 64
	maxDomain    = 255
)

// checkAddress applies the syntax checks go-smtp leaves to us: its parser
// takes anything after the '@' up to a space or '>' as the domain. It returns
// nil or a 501 5.1.3 *Error saying what is wrong.
//
// go-smtp already drops a source route (<@a,@b:user@c>), which RFC 5321
// section 4.1.1.3 asks servers to accept and ignore; we do the same.
func checkAddress(addr string) *Error {
	bad := func(why string) *Error {
		return &Error{Code: 501, Enhanced: enhBadSyntax, Message: "Bad recipient address syntax: " + why}
	}
	if !utf8.ValidString(addr) {
		return bad("not valid UTF-8")
	}
	if strings.Count(addr, "@") != 1 {
		return bad("expected exactly one '@'")
	}
	local, domain, _ := strings.Cut(addr, "@")
	switch {
	case local == "":
		return bad("empty local part")
	case len(local) > maxLocalPart:
		return bad("local part too long")
	case hasControl(local):
		return bad("control character in local part")
	}
	if why := checkDomain(domain); why != "" {
		return bad(why)
	}
	return nil
}

// checkDomain returns why domain is not a usable domain or address literal,
// or "" when it is.
func checkDomain(domain string) string {
	if domain == "" {
		return "empty domain"
	}
	if len(domain) > maxDomain {
		return "domain too long"
	}
	if strings.HasPrefix(domain, "[") {
		return checkLiteral(domain)
	}
	for label := range strings.SplitSeq(domain, ".") {
		if why := checkLabel(label); why != "" {
			return why
		}
	}
	return ""
}

// checkLabel accepts LDH labels and, for SMTPUTF8 clients, UTF-8 ones.
func checkLabel(label string) string {
	if label == "" {
		return "empty label in domain"
	}
	if len(label) > 63 {
		return "domain label too long"
	}
	if label[0] == '-' || label[len(label)-1] == '-' {
		return "domain label starts or ends with '-'"
	}
	for _, r := range label {
		ok := r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= 0x80
		if !ok {
			return "invalid character in domain"
		}
	}
	return ""
}

// checkLiteral accepts [192.0.2.1] and [IPv6:2001:db8::1].
func checkLiteral(lit string) string {
	inner, ok := strings.CutSuffix(lit[1:], "]")
	if !ok {
		return "unterminated address literal"
	}
	if v6, ok := cutPrefixFold(inner, "IPv6:"); ok {
		if a, err := netip.ParseAddr(v6); err == nil && a.Is6() && a.Zone() == "" {
			return ""
		}
		return "bad IPv6 address literal"
	}
	if a, err := netip.ParseAddr(inner); err == nil && a.Is4() {
		return ""
	}
	return "bad address literal"
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// enhBadSender is RFC 3463's "bad sender's mailbox address syntax".
var enhBadSender = [3]int{5, 1, 7}

// checkSender refuses a MAIL FROM address the gateway could not write back
// into a report's RCPT TO and To: exactly (mailfmt.ParseUnquoted says
// when). go-smtp hands the address out with its quotes removed, so a quoted
// local part holding '@' or a control character is refused here rather than
// guessed at when the report is written. The null sender gets no report and
// is always accepted.
func checkSender(from string) *Error {
	if from == "" {
		return nil
	}
	if _, err := mailfmt.ParseUnquoted(from); err != nil {
		why := err.Error()
		var ae *mailfmt.AddressError
		if errors.As(err, &ae) {
			why = ae.Reason
		}
		return &Error{Code: 553, Enhanced: enhBadSender,
			Message: "Sender address rejected: " + why + "; delivery reports could not be sent back to it"}
	}
	return nil
}
