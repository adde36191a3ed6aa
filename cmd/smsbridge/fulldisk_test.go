package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/smtp"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/tmpfs"
	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

const fullDiskConfig = `
[smtp]
listen = ["%SMTP%"]
domains = ["sms.test"]

[store]
path = "%DIR%/data/smsbridge.db"

[http]
listen = "%HTTP%"

[[transports]]
name = "smsc"
type = "smpp"
address = "%SMSC%"

[receipts]
mode = "none"
maildir = "%DIR%/mail"
`

// TestFullDisk: with the queue on a full disk while a part is due,
// smsbridge neither spins nor floods its log, /readyz is 503, and once
// space is freed it recovers and sends what it accepted.
func TestFullDisk(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	tmpfs.Mount(t, data, "2m")
	smsc, err := smsctest.Start(smsctest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer smsc.Close()
	const queueFull = 0x14 // ESME_RMSGQFUL: temporary, the part is retried
	smsc.SetReject(queueFull)
	smtpAddr, httpAddr := freePort(t), freePort(t)
	cfg := writeConfig(t, dir, strings.NewReplacer("%SMTP%", smtpAddr, "%HTTP%", httpAddr, "%SMSC%", smsc.Addr()).Replace(fullDiskConfig))
	d := startDaemon(t, dir, smtpAddr, "-config", cfg)
	ready := func() int {
		t.Helper()
		resp, err := http.Get("http://" + httpAddr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for !ok() {
			select {
			case <-ctx.Done():
				t.Fatalf("never: %s", what)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	waitFor("ready", func() bool { return ready() == http.StatusOK })

	const number = "14155550123"
	body := "Subject: disk\r\n\r\nThe disk is about to fill up.\r\n"
	if err := smtp.SendMail(smtpAddr, nil, "ops@example.com", []string{number + "@sms.test"}, []byte(body)); err != nil {
		t.Fatal(err)
	}
	if _, err := smsc.WaitSubmits(ctx, 1); err != nil {
		t.Fatal(err)
	}
	filler := tmpfs.Fill(t, data)
	// Mail that comes meanwhile is kept while freed pages hold it, then
	// refused for now; what was kept is sent later.
	var later []string
	for i := range 100 {
		n := fmt.Sprintf("1415556%04d", i)
		err = smtp.SendMail(smtpAddr, nil, "ops@example.com", []string{n + "@sms.test"}, []byte(strings.Repeat(body, 200)))
		if err != nil {
			break
		}
		later = append(later, n)
	}
	t.Logf("%d mails accepted while the disk was full, then: %v", len(later), err)
	if err == nil || !strings.HasPrefix(err.Error(), "4") {
		t.Errorf("mail on a full disk: %v, want a temporary refusal", err)
	}
	if code := ready(); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d after a failed commit, want 503", code)
	}

	linesBefore := strings.Count(d.log.String(), "\n")
	cpuBefore := cpuTime(t, d.cmd.Process.Pid)
	const full = 5 * time.Second
	time.Sleep(full)
	lines := strings.Count(d.log.String(), "\n") - linesBefore
	cpu := cpuTime(t, d.cmd.Process.Pid) - cpuBefore
	t.Logf("disk full for %v: %d log lines, %v CPU", full, lines, cpu)
	if lines > 100 {
		t.Errorf("%d log lines in %v of a full disk", lines, full)
	}
	if cpu > full/5 {
		t.Errorf("%v of CPU in %v of a full disk", cpu, full)
	}
	if code := ready(); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d with the disk full, want 503", code)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	smsc.SetReject(0)
	sent := func(n string) func() bool {
		return func() bool {
			for _, s := range smsc.Submits() {
				if s.Dest == n && s.Status == 0 {
					return true
				}
			}
			return false
		}
	}
	waitFor("the accepted SMS sent once space is back", sent(number))
	for _, n := range later {
		waitFor("SMS accepted while the disk was full sent once space is back", sent(n))
	}
	waitFor("ready once space is back", func() bool { return ready() == http.StatusOK })
	if code := d.stop(30 * time.Second); code != 0 {
		t.Errorf("exit status %d after SIGTERM", code)
	}
}

// cpuTime is the user and system CPU time process pid has used.
func cpuTime(t *testing.T, pid int) time.Duration {
	t.Helper()
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name (which may hold spaces) in parentheses.
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ
}
