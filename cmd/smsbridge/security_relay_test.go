package main

import (
	"strings"
	"testing"
)

// relayCases are recipient forms that open relays have been tricked with.
// Only a number at the served domain may be accepted; everything naming
// another host, however disguised, is refused.
var relayCases = []struct {
	rcpt string
	want string // reply prefix for an authenticated client
}{
	{"<4151234567@other.test>", "550 5.7.1"},
	{"<postmaster@other.test>", "550 5.7.1"},
	{"<4151234567%other.test@sms.test>", "550 5.1.1"},   // percent hack
	{"<other.test!4151234567@sms.test>", "550 5.1.1"},   // bang path
	{"<@sms.test:4151234567@other.test>", "550 5.7.1"},  // source route: the last host counts
	{"<@other.test:4151234567@sms.test>", "250"},        // route ignored, delivered here
	{`<"4151234567@other.test"@sms.test>`, "501 5.1.3"}, // quoted local part with '@'
	{`<"4151234567%other.test"@sms.test>`, "550 5.1.1"},
	{`<4151234567\@other.test@sms.test>`, "50"}, // escaped '@'
	{"<4151234567@[127.0.0.1]>", "550 5.7.1"},   // IP literals
	{"<4151234567@[IPv6:::1]>", "550 5.7.1"},
	{"<4151234567@SMS.TEST>", "250"}, // the served domain, upper case
	{"<4151234567@sms.test.>", "501 5.1.3"},
	{"<4151234567@other.test.>", "501 5.1.3"},
	{"<4151234567@sms.test.other.test>", "550 5.7.1"},
	{"<4151234567@smś.test>", "550 5.7.1"}, // IDN look-alike
	{"<4151234567@xn--sm-jma.test>", "550 5.7.1"},
	{"<4151234567@sms.test@other.test>", "50"},
}

// TestRelayRefusedUntrusted: a client outside trusted_networks gets 530 at
// MAIL and no recipient is ever considered.
func TestRelayRefusedUntrusted(t *testing.T) {
	t.Parallel()
	addr, _ := startSecureGateway(t, "")
	c := dialSMTP(t, addr)
	c.cmd("EHLO client.test")
	for _, tc := range relayCases {
		if r := c.cmd("MAIL FROM:<a@example.com>"); !strings.HasPrefix(r, "530 5.7.0") {
			t.Fatalf("MAIL from an untrusted client: %q", r)
		}
		if r := c.cmd("RCPT TO:%s", tc.rcpt); !strings.HasPrefix(r, "5") {
			t.Errorf("RCPT TO:%s without MAIL: %q", tc.rcpt, r)
		}
		c.cmd("RSET")
	}
}

// TestRelayRefusedAuthenticated: even a logged-in user reaches nothing but
// numbers at the served domain.
func TestRelayRefusedAuthenticated(t *testing.T) {
	t.Parallel()
	addr, _ := startSecureGateway(t, "")
	for _, tc := range relayCases {
		t.Run(tc.rcpt, func(t *testing.T) {
			t.Parallel()
			c := dialSMTP(t, addr)
			c.cmd("EHLO client.test")
			c.startTLS()
			c.login()
			if r := c.cmd("MAIL FROM:<a@example.com>"); !strings.HasPrefix(r, "250") {
				t.Fatalf("MAIL: %q", r)
			}
			if r := c.cmd("RCPT TO:%s", tc.rcpt); !strings.HasPrefix(r, tc.want) {
				t.Fatalf("RCPT TO:%s = %q, want %s", tc.rcpt, r, tc.want)
			}
		})
	}
}

// TestSenderPolicy: the user may send only as @example.com.
func TestSenderPolicy(t *testing.T) {
	t.Parallel()
	addr, _ := startSecureGateway(t, "")
	c := dialSMTP(t, addr)
	c.cmd("EHLO client.test")
	c.startTLS()
	c.login()
	for from, want := range map[string]string{
		"a@evil.test": "553 5.7.1", "a@example.com.evil.test": "553 5.7.1", "": "553 5.7.1", "ops@EXAMPLE.com": "250",
	} {
		if r := c.cmd("MAIL FROM:<%s>", from); !strings.HasPrefix(r, want) {
			t.Errorf("MAIL FROM:<%s> = %q, want %s", from, r, want)
		}
		c.cmd("RSET")
	}
}
