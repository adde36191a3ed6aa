package main

import (
	"context"
	"fmt"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

const durableConfig = `
[smtp]
listen = ["%SMTP%"]
domains = ["sms.test"]

[store]
path = "%DIR%/data/smsbridge.db"

[[transports]]
name = "smsc"
type = "smpp"
address = "%SMSC%"
window = 4
response_timeout = "60s"

[receipts]
mode = "none"
maildir = "%DIR%/mail"
`

// TestKillAndRestart: smsbridge accepts mail while its SMSC withholds every
// response, is killed with SIGKILL, and restarted: every accepted SMS then
// reaches the SMSC.
func TestKillAndRestart(t *testing.T) {
	t.Parallel()
	smsc, err := smsctest.Start(smsctest.Options{Hold: true})
	if err != nil {
		t.Fatal(err)
	}
	defer smsc.Close()
	dir := t.TempDir()
	smtpAddr := freePort(t)
	cfg := writeConfig(t, dir, strings.NewReplacer("%SMTP%", smtpAddr, "%SMSC%", smsc.Addr()).Replace(durableConfig))
	d := startDaemon(t, dir, smtpAddr, "-config", cfg)

	const mails = 30
	accepted := map[string]bool{}
	for i := range mails {
		number := fmt.Sprintf("1415555%04d", 1000+i)
		body := fmt.Sprintf("Subject: job %d\r\n\r\nBackup job %d finished.\r\n", i, i)
		if err := smtp.SendMail(smtpAddr, nil, "cron@example.com", []string{number + "@sms.test"}, []byte(body)); err != nil {
			t.Fatalf("mail %d: %v", i, err)
		}
		accepted[number] = true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := smsc.WaitSubmits(ctx, 4); err != nil {
		t.Fatalf("no submits in flight before the kill: %v", err)
	}
	d.kill()
	held := len(smsc.Submits())

	smsc.SetHold(false)
	smsc.DropConnections()
	d = startDaemon(t, dir, smtpAddr, "-config", cfg)
	missing := func() []string {
		got := map[string]bool{}
		for _, s := range smsc.Submits() {
			if !s.Held && s.Status == 0 {
				got[s.Dest] = true
			}
		}
		var m []string
		for n := range accepted {
			if !got[n] {
				m = append(m, n)
			}
		}
		return m
	}
	for len(missing()) > 0 {
		select {
		case <-ctx.Done():
			t.Fatalf("after restart %d accepted SMS never reached the SMSC: %v", len(missing()), missing())
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err := d.waitLog(ctx, "sending again"); err != nil {
		t.Errorf("in-doubt parts were not logged as resent: %v", err)
	}
	total := len(smsc.Submits())
	t.Logf("%d mails accepted; %d submits held at the kill; %d submits in all (%d resent in doubt)", mails, held, total, total-mails)
	if dup := total - mails; dup > held {
		t.Errorf("%d duplicates, more than the %d submits that were in flight", dup, held)
	}
	if code := d.stop(30 * time.Second); code != 0 {
		t.Errorf("exit status %d after SIGTERM", code)
	}
}
