package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

const badInputConfig = `
[smtp]
listen = ["127.0.0.1:0"]
domains = ["sms.test"]
max_message_bytes = 20000

[store]
path = "%DIR%/data/smsbridge.db"

[[transports]]
name = "smsc"
type = "smpp"
address = "%SMSC%"

[receipts]
mode = "none"
maildir = "%DIR%/mail"
`

// TestBadInput: every kind of bad mail gets a clear SMTP answer, the server
// survives, and only mail answered 250 reaches the SMSC.
func TestBadInput(t *testing.T) {
	t.Parallel()
	smsc, err := smsctest.Start(smsctest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer smsc.Close()
	dir := t.TempDir()
	addr := startGateway(t, writeConfig(t, dir, strings.Replace(badInputConfig, "%SMSC%", smsc.Addr(), 1)))

	junk := string([]byte{0xff, 0xfe, 0x00, 0x80, 'h', 'i', 0xc3, 0x28, 0x1b, '\t', 0x7f})
	cases := []struct {
		name   string
		rcpt   string
		body   string
		rcptOK string // reply prefix to RCPT
		dataOK string // reply prefix to the end of DATA ("" when RCPT fails)
	}{
		{"not a number", "hello@sms.test", "", "550 5.1.1", ""},
		{"too short a number", "123@sms.test", "", "550 5.1.1", ""},
		{"domain not served", "4151234567@example.org", "", "550 5.7.1", ""},
		{"empty body", "14155550001@sms.test", "From: a@example.com\n\n", "250", "554 5.6.0"},
		{"only white space", "14155550002@sms.test", "Subject:   \n\n \n\t\n", "250", "554 5.6.0"},
		{"oversized", "14155550003@sms.test", "Subject: big\n\n" + strings.Repeat(strings.Repeat("x", 99)+"\n", 300), "250", "552 5.3.4"},
		{"malformed MIME", "14155550004@sms.test", "Subject: broken\nContent-Type: multipart/mixed; boundary=\"zz\"\n\n--zz\nContent-Type: text/plain\n\nstill readable\n--z", "250", "250"},
		{"unknown charset", "14155550005@sms.test", "Subject: cs\nContent-Type: text/plain; charset=x-no-such-charset\n\nplain words\n", "250", "250"},
		{"8-bit junk", "14155550006@sms.test", "Subject: junk\n\n" + junk + "\n", "250", "250"},
		{"junk header", "14155550007@sms.test", junk + "\n\nbody\n", "250", ""},
	}
	accepted := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dialSMTP(t, addr)
			c.cmd("EHLO client.test")
			if r := c.cmd("MAIL FROM:<a@example.com>"); !strings.HasPrefix(r, "250") {
				t.Fatalf("MAIL: %s", r)
			}
			r := c.cmd("RCPT TO:<%s>", tc.rcpt)
			if !strings.HasPrefix(r, tc.rcptOK) {
				t.Fatalf("RCPT TO:<%s>: %q, want %s", tc.rcpt, r, tc.rcptOK)
			}
			if !strings.HasPrefix(r, "250") {
				return
			}
			r = c.data(tc.body)
			switch {
			case tc.dataOK == "" && (strings.HasPrefix(r, "250") || strings.HasPrefix(r, "554 5.6.0")):
				// Either answer is clear; only the result matters.
			case tc.dataOK != "" && strings.HasPrefix(r, tc.dataOK):
			default:
				t.Fatalf("end of DATA: %q, want %q", r, tc.dataOK)
			}
			if strings.HasPrefix(r, "250") {
				accepted[strings.Split(tc.rcpt, "@")[0]] = true
			}
			if r := c.cmd("QUIT"); !strings.HasPrefix(r, "221") {
				t.Errorf("QUIT after the case: %q (server unwell?)", r)
			}
		})
	}

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if _, err := smsc.WaitSubmits(ctx, len(accepted)); err != nil {
		t.Fatalf("accepted %d mails, SMSC got %d submits: %v", len(accepted), len(smsc.Submits()), err)
	}
	time.Sleep(300 * time.Millisecond) // let anything that should not come arrive
	for _, s := range smsc.Submits() {
		if !accepted[s.Dest] {
			t.Errorf("SMS to %s reached the SMSC, but its mail was refused", s.Dest)
		}
	}
	if got := len(smsc.Submits()); got != len(accepted) {
		t.Errorf("%d submits for %d accepted single-part mails", got, len(accepted))
	}
}
