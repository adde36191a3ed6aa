package smtpd

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCheckAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr string
		ok   bool
	}{
		{"4151234567@sms.example.com", true},
		{"+14151234567@sms.example.com", true},
		{"1-415-123-4567@sms.example.com", true},
		{"(415)123-4567@sms.example.com", true}, // as go-smtp hands over <"(415)123-4567"@...>
		{"oncall@sms", true},
		{"x@xn--bcher-kva.example", true},
		{"x@bücher.example", true}, // SMTPUTF8
		{"x@[192.0.2.1]", true},
		{"x@[IPv6:2001:db8::1]", true},
		{"x@[ipv6:2001:db8::1]", true},
		{"", false},
		{"nodomain", false},
		{"@sms.example.com", false},
		{"x@", false},
		{"a@b@sms.example.com", false},
		{"x@sms..example.com", false},
		{"x@.sms.example.com", false},
		{"x@sms.example.com.", false},
		{"x@-sms.example.com", false},
		{"x@sms-.example.com", false},
		{"x@sms_example.com", false},
		{"x@sms.example.com:25", false},
		{"x@[192.0.2.1", false},
		{"x@[300.0.2.1]", false},
		{"x@[IPv6:192.0.2.1]", false},
		{"x@[2001:db8::1]", false},
		{"x@[IPv6:fe80::1%eth0]", false},
		{"a\x00b@sms.example.com", false},
		{"a\tb@sms.example.com", false},
		{"\xff@sms.example.com", false},
		{strings.Repeat("1", 65) + "@sms.example.com", false},
		{"x@" + strings.Repeat("a", 64) + ".com", false},
		{"x@" + strings.Repeat("a.", 128) + "com", false},
	}
	for _, tt := range tests {
		e := checkAddress(tt.addr)
		if (e == nil) != tt.ok {
			t.Errorf("checkAddress(%q) = %v, want ok=%v", tt.addr, e, tt.ok)
			continue
		}
		if e != nil && (e.Code != 501 || e.Enhanced != enhBadSyntax) {
			t.Errorf("checkAddress(%q) = %d %v, want 501 5.1.3", tt.addr, e.Code, e.Enhanced)
		}
	}
}

func FuzzCheckAddress(f *testing.F) {
	for _, s := range []string{"4151234567@sms.example.com", "x@[IPv6:::1]", "x@[1.2.3.4]", "a@b@c", "x@bücher.de", "x@-a.b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		e := checkAddress(addr)
		if e == nil {
			// What passes has the shape the backend relies on.
			local, domain, _ := strings.Cut(addr, "@")
			if strings.Count(addr, "@") != 1 || local == "" || domain == "" || !utf8.ValidString(addr) || hasControl(addr) {
				t.Fatalf("accepted %q", addr)
			}
			return
		}
		if e.Code != 501 || hasControl(e.Message) {
			t.Fatalf("bad reply for %q: %v", addr, e)
		}
	})
}

// TestUnquotedPhoneLocalPart: go-smtp refuses an unquoted local part with
// spaces or parentheses at parse time; the 501 says how to write it.
func TestUnquotedPhoneLocalPart(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{}, nil)
	c := dialRaw(t, ts.addr)
	c.do("EHLO client.test", 250, "")
	c.do("MAIL FROM:<alice@example.com>", 250, "")
	for _, addr := range []string{"(415) 555-2501@" + testDomain, "+1 415 555 2504@" + testDomain} {
		msg := c.do("RCPT TO:<"+addr+">", 501, "5.5.2")
		if !strings.Contains(msg, `<"+1 415 555 2501"@domain>`) || !strings.Contains(msg, "quote") {
			t.Errorf("RCPT TO:<%s>: %q, want a reply saying to quote the local part", addr, msg)
		}
	}
}
