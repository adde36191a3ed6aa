package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

const clientsConfig = `
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
mode = "all"
maildir = "%DIR%/mail"
from = "smsbridge@sms.test"
`

// needTool skips a test when an external client is missing; CI installs them
// all (see .ci/run), so there they always run.
func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed, and CI must run this test", name)
		}
		t.Skipf("%s is not installed; `make test` (the README's test command) installs it", name)
	}
	return path
}

// TestRealClients sends through swaks and Python's smtplib to a running
// smsbridge serve and checks the SMS at the SMSC and the reports in the Maildir.
func TestRealClients(t *testing.T) {
	t.Parallel()
	swaks := needTool(t, "swaks")
	python := needTool(t, "python3")
	smsc, err := smsctest.Start(smsctest.Options{ReceiptDelay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer smsc.Close()
	dir := t.TempDir()
	smtpAddr := freePort(t)
	cfg := writeConfig(t, dir, strings.NewReplacer("%SMTP%", smtpAddr, "%SMSC%", smsc.Addr()).Replace(clientsConfig))
	d := startDaemon(t, dir, smtpAddr, "-config", cfg)

	out, err := exec.Command(swaks, "--server", smtpAddr, "--from", "ops@example.com", "--to", "4151234567@sms.test",
		"--header", "Subject: swaks test", "--body", "Hello from swaks").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "<-  250 2.0.0 Ok: queued") {
		t.Fatalf("swaks: %v\n%s", err, out)
	}

	host, port, _ := strings.Cut(smtpAddr, ":")
	script := `
import smtplib, sys
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "script@example.com"
m["To"] = "+14155550123@sms.test"
m["Subject"] = "Grüße"
m.set_content("Température: 21°C — all good")
with smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=20) as s:
    s.send_message(m)
`
	if out, err := exec.Command(python, "-c", script, host, port).CombinedOutput(); err != nil {
		t.Fatalf("python smtplib: %v\n%s", err, out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	submits, err := smsc.WaitSubmits(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range submits {
		got[s.Dest] = s.Text()
	}
	if want := "swaks test\nHello from swaks"; got["14151234567"] != want {
		t.Errorf("swaks SMS %q, want %q", got["14151234567"], want)
	}
	// The default encoding is GSM-7: é is kept, ° and — are transliterated.
	if s := got["14155550123"]; !strings.HasPrefix(s, "Grüße\nTempérature: 21") || strings.ContainsAny(s, "°—") {
		t.Errorf("smtplib SMS %q", s)
	}
	reports := waitMaildir(t, ctx, filepath.Join(dir, "mail"), 2)
	for _, r := range reports {
		if !strings.Contains(r, "Subject: Delivered: ") {
			t.Errorf("report without a Delivered subject:\n%s", r)
		}
	}
	if code := d.stop(30 * time.Second); code != 0 {
		t.Errorf("exit status %d after SIGTERM", code)
	}
}

// TestTour is the README's five-minute tour: the embedded default, swaks to
// 4151234567@sms.localhost, the SMS in the log and a report in the Maildir.
func TestTour(t *testing.T) {
	swaks := needTool(t, "swaks")
	dir := t.TempDir()
	const addr = "127.0.0.1:2525"
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Skipf("something already listens on %s; the tour needs that port", addr)
	}
	d := startDaemon(t, dir, addr)
	out, err := exec.Command(swaks, "--server", addr, "--to", "4151234567@sms.localhost").CombinedOutput()
	if err != nil {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := d.waitLog(ctx, "sms sent"); err != nil {
		t.Fatal(err)
	}
	reports := waitMaildir(t, ctx, filepath.Join(dir, "smsbridge-data", "mail"), 1)
	if !strings.Contains(reports[0], "Delivered to +1 415-123-4567") {
		t.Errorf("report:\n%s", reports[0])
	}
	// The embedded default serves /healthz and /metrics on 127.0.0.1:8025.
	for path, want := range map[string]string{"/healthz": "", "/metrics": `smsbridge_messages_queued_total{source="smtp"} 1`} {
		resp, err := http.Get("http://127.0.0.1:8025" + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d, lacks %q:\n%.2000s", path, resp.StatusCode, want, body)
		}
	}
	if code := d.stop(30 * time.Second); code != 0 {
		t.Errorf("exit status %d after SIGTERM", code)
	}
}

// waitMaildir waits for n mails in dir/new and returns their contents.
func waitMaildir(t *testing.T, ctx context.Context, dir string, n int) []string {
	t.Helper()
	for {
		entries, _ := os.ReadDir(filepath.Join(dir, "new"))
		if len(entries) >= n {
			var out []string
			for _, e := range entries {
				b, err := os.ReadFile(filepath.Join(dir, "new", e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, string(b))
			}
			return out
		}
		select {
		case <-ctx.Done():
			t.Fatalf("Maildir %s has %d mails, want %d", dir, len(entries), n)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
