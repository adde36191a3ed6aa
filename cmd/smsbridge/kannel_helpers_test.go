package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// kannelBoxesConfig is a Kannel with its store file, one SMPP SMSC
// (%SMSCHOST%:%SMSCPORT%, binding as %SMSCUSER%/%SMSCPASSWORD%) and one
// sendsms user, bench/bench.
const kannelBoxesConfig = `
group = core
admin-port = %ADMIN%
admin-password = bench
smsbox-port = %BOX%
box-allow-ip = 127.0.0.1
log-file = "%DIR%/bearerbox.log"
log-level = 2
store-type = file
store-location = "%DIR%/kannel.store"

group = smsc
smsc = smpp
smsc-id = smsc
host = 127.0.0.1
port = %SMSCPORT%
transceiver-mode = true
smsc-username = %SMSCUSER%
smsc-password = %SMSCPASSWORD%
system-type = "VMA"

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = %BOX%
sendsms-port = %SENDSMS%
log-file = "%DIR%/smsbox.log"
log-level = 2

group = sendsms-user
username = bench
password = bench
max-messages = 5
concatenation = true
`

// skipWithoutKannel skips a test when Debian's kannel package is missing.
func skipWithoutKannel(t *testing.T) {
	t.Helper()
	for _, bin := range []string{"bearerbox", "smsbox"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("kannel is not installed (%s not found; scripts/test installs it)", bin)
		}
	}
}

// runKannel runs bearerbox and smsbox, bound to the SMSC at smscAddr as
// user/password, until the test ends, and returns smsbox's sendsms URL
// base. The SMSC bind may still be coming up.
func runKannel(t *testing.T, smscAddr, user, password string) string {
	t.Helper()
	return runKannelWith(t, smscAddr, user, password, "")
}

// runKannelWith is runKannel with more groups in Kannel's configuration.
func runKannelWith(t *testing.T, smscAddr, user, password, groups string) string {
	t.Helper()
	dir := t.TempDir()
	port := func() string { _, p, _ := net.SplitHostPort(freePort(t)); return p }
	_, smscPort, _ := net.SplitHostPort(smscAddr)
	sendsms, box := port(), port()
	conf := strings.NewReplacer("%DIR%", dir, "%ADMIN%", port(), "%BOX%", box, "%SENDSMS%", sendsms,
		"%SMSCPORT%", smscPort, "%SMSCUSER%", user, "%SMSCPASSWORD%", password).Replace(kannelBoxesConfig) + groups
	path := filepath.Join(dir, "kannel.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	startKannelBox(t, dir, "bearerbox", path)
	waitListening(t, "127.0.0.1:"+box)
	startKannelBox(t, dir, "smsbox", path)
	waitListening(t, "127.0.0.1:"+sendsms)
	return "http://127.0.0.1:" + sendsms
}

// startKannelBox runs one of Kannel's boxes until the test ends.
func startKannelBox(t *testing.T, dir, box, conf string) {
	t.Helper()
	cmd := exec.Command(box, conf)
	cmd.Dir = dir
	out, err := os.Create(filepath.Join(dir, box+".out"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		out.Close()
		if t.Failed() {
			for _, f := range []string{box + ".out", box + ".log"} {
				b, _ := os.ReadFile(filepath.Join(dir, f))
				t.Logf("%s:\n%s", f, b)
			}
		}
	})
}

// waitListening waits until addr accepts connections.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s", addr)
}

// sendsmsAccepted sends v to Kannel's sendsms at base until it is answered
// 202 (the SMSC bind may still be coming up), until ctx is done.
func sendsmsAccepted(ctx context.Context, t *testing.T, base string, v url.Values) {
	t.Helper()
	for {
		resp, err := http.Get(base + "/cgi-bin/sendsms?" + v.Encode())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusAccepted {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("Kannel's sendsms: %d %q", resp.StatusCode, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
