package main

import (
	"encoding/base64"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestAuthRealClients: swaks and Python's smtplib log in with LOGIN and
// PLAIN over STARTTLS and implicit TLS; in clear AUTH is neither offered
// nor accepted.
func TestAuthRealClients(t *testing.T) {
	t.Parallel()
	swaks := needTool(t, "swaks")
	addr, implicit := startSecureGateway(t, "")
	send := func(args ...string) (string, error) {
		base := []string{"--from", "ops@example.com", "--to", "4151234567@sms.test", "--body", "auth test",
			"--auth-user", "alerts", "--auth-password", userPassword, "--timeout", "20"}
		out, err := exec.Command(swaks, append(base, args...)...).CombinedOutput()
		return string(out), err
	}
	for _, args := range [][]string{
		{"--server", addr, "-tls", "-a", "LOGIN"},
		{"--server", addr, "-tls", "-a", "PLAIN"},
		{"--server", implicit, "--tls-on-connect", "-a", "LOGIN"},
	} {
		out, err := send(args...)
		// swaks marks lines read over TLS "<~", in clear "<-".
		if err != nil || !strings.Contains(out, "<~  235") || !strings.Contains(out, "<~  250 2.0.0 Ok: queued") {
			t.Errorf("swaks %v: %v\n%s", args, err, out)
		}
		if strings.Contains(out, "~> "+userPassword) {
			t.Errorf("swaks sent the password in clear text?\n%s", out)
		}
	}
	out, err := send("--server", addr, "-a", "PLAIN")
	if err == nil || strings.Contains(out, "  235 ") || strings.Contains(out, "Ok: queued") {
		t.Errorf("AUTH in clear was accepted: %v\n%s", err, out)
	}
}

const smtplibScript = `
import smtplib, ssl, sys, time
host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl._create_unverified_context()
s = smtplib.SMTP(host, port, timeout=30)
if mode == "clear":
    s.ehlo()
    try:
        s.login("alerts", "correct horse")
        print("LOGGED IN IN CLEAR")
    except smtplib.SMTPNotSupportedError:
        print("refused in clear")
    sys.exit(0)
s.starttls(context=ctx)
if mode == "wrong":
    for i in range(3):
        t = time.monotonic()
        try:
            s.login("alerts", "wrong password")
        except smtplib.SMTPAuthenticationError as e:
            print("failed %d %.3f %d" % (i, time.monotonic() - t, e.smtp_code))
    sys.exit(0)
s.login("alerts", "correct horse")
s.sendmail("ops@example.com", ["4151234567@sms.test"], "Subject: py\r\n\r\nfrom python\r\n")
print("sent")
s.quit()
`

func TestAuthSMTPLib(t *testing.T) {
	t.Parallel()
	python := needTool(t, "python3")
	addr, _ := startSecureGateway(t, "")
	host, port, _ := strings.Cut(addr, ":")
	py := func(mode string) string {
		out, err := exec.Command(python, "-c", smtplibScript, host, port, mode).CombinedOutput()
		if err != nil {
			t.Fatalf("python %s: %v\n%s", mode, err, out)
		}
		return string(out)
	}
	if out := py("ok"); !strings.Contains(out, "sent") {
		t.Errorf("starttls + login: %s", out)
	}
	if out := py("clear"); !strings.Contains(out, "refused in clear") {
		t.Errorf("login in clear: %s", out)
	}
	// Default delays: 0.5 s after the first failure, 1 s, 2 s.
	out := py("wrong")
	var took []time.Duration
	for line := range strings.Lines(out) {
		var i, code int
		var secs float64
		if n, _ := sscan(line, &i, &secs, &code); n == 3 {
			if code != 535 {
				t.Errorf("failure reply %d, want 535", code)
			}
			took = append(took, time.Duration(secs*float64(time.Second)))
		}
	}
	if len(took) != 3 || took[0] < 400*time.Millisecond || took[1] < 900*time.Millisecond || took[2] < 1900*time.Millisecond {
		t.Errorf("failures were not slowed down as expected: %v\n%s", took, out)
	}
}

func sscan(line string, i *int, secs *float64, code *int) (int, error) {
	var word string
	n, err := fmt.Sscanf(line, "%s %d %f %d", &word, i, secs, code)
	if word != "failed" {
		return 0, err
	}
	return n - 1, err
}

// TestAuthPlainInClearRaw checks the exact reply (RFC 4954: 538 5.7.11).
func TestAuthPlainInClearRaw(t *testing.T) {
	t.Parallel()
	addr, _ := startSecureGateway(t, "")
	c := dialSMTP(t, addr)
	if r := c.cmd("EHLO client.test"); strings.Contains(r, "AUTH") {
		t.Errorf("AUTH offered in clear: %q", r)
	}
	ir := base64.StdEncoding.EncodeToString([]byte("\x00alerts\x00" + userPassword))
	if r := c.cmd("AUTH PLAIN %s", ir); !strings.HasPrefix(r, "538 5.7.11") {
		t.Fatalf("AUTH in clear: %q", r)
	}
}
