package smtpd

import (
	"net/mail"
	"strings"
	"testing"

	"github.com/smsbridge/smsbridge/internal/mailfmt"
)

// TestMailFromRefusesUnwritableSenders: a sender the gateway could not
// write back into a report exactly is refused at MAIL FROM with 553 5.1.7;
// quoted local parts it can write back are accepted.
func TestMailFromRefusesUnwritableSenders(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{}, nil)
	for _, tc := range []struct {
		from string
		code int
		enh  string
	}{
		{"<alice@example.com>", 250, "2.0.0"},
		{"<>", 250, "2.0.0"},
		{`<"john doe"@example.com>`, 250, "2.0.0"},
		{`<"victim> ORCPT=rfc822;z"@attacker.example>`, 250, "2.0.0"},
		// The case: with its quotes gone (as go-smtp hands it
		// out) it reads as RCPT TO:<victim@example.net> ORCPT=...
		{`<"victim@example.net> ORCPT=rfc822;z"@attacker.example> RET=FULL`, 553, "5.1.7"},
		{`<"a\"b@c"@attacker.example>`, 553, "5.1.7"},
		{"<alice@exa_mple.com>", 553, "5.1.7"},
		{"<alice@example.com@attacker.example>", 553, "5.1.7"},
		{"<\"a\x01b\"@example.com>", 553, "5.1.7"},
	} {
		c := dialRaw(t, ts.addr)
		c.do("EHLO client.test", 250, "")
		msg := c.do("MAIL FROM:"+tc.from, tc.code, tc.enh)
		if tc.code == 553 && !strings.Contains(msg, "delivery reports could not be sent back") {
			t.Errorf("MAIL FROM:%s: %q does not say why", tc.from, msg)
		}
	}
}

// FuzzCheckSender: a sender MAIL FROM accepts is written back (as reports
// write it) so that it reads back as the same address; a refusal is a
// 553 5.1.7 that says why.
func FuzzCheckSender(f *testing.F) {
	for _, s := range []string{"alice@example.com", "john doe@example.com", "victim@example.net> ORCPT=rfc822;z@attacker.example", "a\x01b@example.com", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, from string) {
		e := checkSender(from)
		if e != nil {
			if e.Code != 553 || e.Enhanced != enhBadSender || hasControl(e.Message) || !strings.HasPrefix(e.Message, "Sender address rejected: ") {
				t.Fatalf("bad refusal for %q: %v", from, e)
			}
			return
		}
		if from == "" {
			return
		}
		a, err := mailfmt.ParseUnquoted(from)
		if err != nil {
			t.Fatalf("accepted %q that cannot be written: %v", from, err)
		}
		back, err := mail.ParseAddress("<" + a.String() + ">")
		if err != nil || back.Address != from {
			t.Fatalf("accepted %q, written as %q, reads back as %v (%v)", from, a.String(), back, err)
		}
	})
}
