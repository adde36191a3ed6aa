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
			dir := t.TempDir()
			cfg := strings.Replace(tt.keys, "[smtp]\n", "[smtp]\nlisten = [\"127.0.0.1:0\"]\ndomains = [\"sms.test\"]\n", 1) +
				"[store]\npath = \"%DIR%/db\"\n[receipts]\nmode = \"none\"\nmaildir = \"%DIR%/mail\"\n" +
				"[[transports]]\nname = \"sim\"\ntype = \"simulator\"\n"
			addr := startGateway(t, writeConfig(t, dir, cfg))
			s := dialSMTP(t, addr)
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
