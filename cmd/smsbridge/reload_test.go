package main

import (
	"context"
	"net/smtp"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

const reloadConfig = `
[smtp]
listen = ["%SMTP%"]
domains = ["sms.test"]

[store]
path = "%DIR%/data/smsbridge.db"

[[transports]]
name = "smsc"
type = "smpp"
address = "%SMSC%"

[receipts]
mode = "none"
maildir = "%DIR%/mail"

[aliases]
team = ["%NUMBER%"]
`

// TestReloadOnSIGHUP: a running daemon takes a changed alias on SIGHUP,
// logs that a changed listener needs a restart, and keeps its old
// configuration when the new file is broken.
func TestReloadOnSIGHUP(t *testing.T) {
	t.Parallel()
	smsc, err := smsctest.Start(smsctest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer smsc.Close()
	dir := t.TempDir()
	smtpAddr := freePort(t)
	conf := strings.NewReplacer("%SMTP%", smtpAddr, "%SMSC%", smsc.Addr()).Replace(reloadConfig)
	path := writeConfig(t, dir, strings.Replace(conf, "%NUMBER%", "+14155550111", 1))
	d := startDaemon(t, dir, smtpAddr, "-config", path)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	sendTeam := func(n int) string {
		t.Helper()
		if err := smtp.SendMail(smtpAddr, nil, "ops@example.com", []string{"team@sms.test"}, []byte("Subject: x\r\n\r\nhi\r\n")); err != nil {
			t.Fatal(err)
		}
		s, err := smsc.WaitSubmits(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		return s[n-1].Dest
	}
	if got := sendTeam(1); got != "14155550111" {
		t.Fatalf("team → %s before the reload", got)
	}

	next := strings.Replace(conf, "%NUMBER%", "+14155550122", 1)
	next = strings.Replace(next, `listen = ["`+smtpAddr+`"]`, `listen = ["`+smtpAddr+`", "127.0.0.1:0"]`, 1)
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(next, "%DIR%", dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGHUP)
	if err := d.waitLog(ctx, "configuration reloaded"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d.log.String(), "key=smtp.listen") {
		t.Errorf("the changed listener was not logged as needing a restart:\n%s", d.log.String())
	}
	if got := sendTeam(2); got != "14155550122" {
		t.Errorf("team → %s after the reload, want the new number", got)
	}

	if err := os.WriteFile(path, []byte("[smtp]\nno_such_key = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGHUP)
	if err := d.waitLog(ctx, "configuration not reloaded"); err != nil {
		t.Fatal(err)
	}
	if got := sendTeam(3); got != "14155550122" {
		t.Errorf("team → %s after a broken file, want the configuration kept", got)
	}
	if code := d.stop(30 * time.Second); code != 0 {
		t.Errorf("exit status %d", code)
	}
}
