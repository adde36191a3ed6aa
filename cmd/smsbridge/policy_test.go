package main

import (
	"strings"
	"testing"

	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

const limitsConfig = `
[smtp]
listen = ["127.0.0.1:0"]
domains = ["sms.test"]

[sms]
max_parts = 3

[limits]
parts_per_day = 4

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

// TestBridgePolicy: the gateway charges SMS parts per sender and day, and
// refuses premium-rate numbers unless allowed.
func TestBridgePolicy(t *testing.T) {
	t.Parallel()
	smsc, err := smsctest.Start(smsctest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer smsc.Close()
	addr := startGateway(t, writeConfig(t, t.TempDir(), strings.Replace(limitsConfig, "%SMSC%", smsc.Addr(), 1)))

	twoParts := "Subject: x\n\n" + strings.Repeat("two parts of text ", 12) + "\n"
	send := func(rcpt string) (string, string) {
		c := dialSMTP(t, addr)
		c.cmd("EHLO client.test")
		c.cmd("MAIL FROM:<cron@example.com>")
		if r := c.cmd("RCPT TO:<%s>", rcpt); !strings.HasPrefix(r, "250") {
			return r, ""
		}
		return "250", c.data(twoParts)
	}
	if _, r := send("4155550001@sms.test"); !strings.HasPrefix(r, "250") {
		t.Fatalf("first mail (2 of 4 parts a day): %q", r)
	}
	if _, r := send("4155550002@sms.test"); !strings.HasPrefix(r, "250") {
		t.Fatalf("second mail (4 of 4 parts a day): %q", r)
	}
	if _, r := send("4155550003@sms.test"); !strings.HasPrefix(r, "450 4.7.1") || !strings.Contains(r, "parts") {
		t.Errorf("third mail over parts_per_day: %q, want 450 4.7.1 naming the limit", r)
	}
	if r, _ := send("19005550100@sms.test"); !strings.HasPrefix(r, "550 5.1.1") || !strings.Contains(r, "premium") {
		t.Errorf("premium-rate number: %q, want 550 5.1.1", r)
	}
}
