package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestRecipientLimits: the recipient after the limit is answered 452 4.5.3
// naming the limit that applies, max_recipients or the sender's
// recipients_per_mail, whichever is lower.
func TestRecipientLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, keys string
		accepted   int
		limit      string
	}{
		{"recipients_per_mail (default 50)", "[smtp]\nmax_recipients = 60\n", 50, "recipients_per_mail"},
		{"max_recipients", "[smtp]\nmax_recipients = 60\n[limits]\nrecipients_per_mail = 0\n", 60, "max_recipients"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := dialSMTP(t, startSimGateway(t, tt.keys))
			s.cmd("EHLO client.test")
			if r := s.cmd("MAIL FROM:<ops@example.com>"); !strings.HasPrefix(r, "250") {
				t.Fatalf("MAIL: %q", r)
			}
			for i := range tt.accepted {
				if r := s.cmd("RCPT TO:<+1415555%04d@sms.test>", i); !strings.HasPrefix(r, "250") {
					t.Fatalf("recipient %d: %q", i+1, r)
				}
			}
			r := s.cmd("RCPT TO:<+14155559999@sms.test>")
			if !strings.HasPrefix(r, "452 4.5.3") || !strings.Contains(r, fmt.Sprintf("at most %d", tt.accepted)) || !strings.Contains(r, tt.limit) {
				t.Fatalf("recipient %d: %q, want 452 4.5.3 naming %s %d", tt.accepted+1, r, tt.limit, tt.accepted)
			}
		})
	}
}

// startSimGateway runs a gateway for sms.test with the simulator and no
// reports; smtpKeys starts with "[smtp]\n" and may add tables after it.
func startSimGateway(t *testing.T, smtpKeys string) string {
	t.Helper()
	cfg := strings.Replace(smtpKeys, "[smtp]\n", "[smtp]\nlisten = [\"127.0.0.1:0\"]\ndomains = [\"sms.test\"]\n", 1) +
		"[store]\npath = \"%DIR%/db\"\n[receipts]\nmode = \"none\"\nmaildir = \"%DIR%/mail\"\n" +
		"[[transports]]\nname = \"sim\"\ntype = \"simulator\"\n"
	return startGateway(t, writeConfig(t, t.TempDir(), cfg))
}

// TestPhoneNumberLocalParts: a number with spaces or parentheses must be
// quoted; unquoted it gets a 501 that says so, and a local part that is no
// number gets a 550 that says how to write one.
func TestPhoneNumberLocalParts(t *testing.T) {
	t.Parallel()
	s := dialSMTP(t, startSimGateway(t, "[smtp]\n"))
	s.cmd("EHLO client.test")
	s.cmd("MAIL FROM:<ops@example.com>")
	for _, tc := range []struct{ rcpt, want, hint string }{
		{"(415) 555-2501@sms.test", "501 5.5.2", `quote a local part`},
		{"+1 415 555 2504@sms.test", "501 5.5.2", `quote a local part`},
		{`"(415) 555-2501"@sms.test`, "250", ""},
		{`"+1 415 555 2504"@sms.test`, "250", ""},
		{"415-555-25O1@sms.test", "550 5.1.1", `"+1 415 555 2501"@domain`},
	} {
		r := s.cmd("RCPT TO:<%s>", tc.rcpt)
		if !strings.HasPrefix(r, tc.want) || !strings.Contains(r, tc.hint) {
			t.Errorf("RCPT TO:<%s>: %q, want %s saying %q", tc.rcpt, r, tc.want, tc.hint)
		}
	}
}
