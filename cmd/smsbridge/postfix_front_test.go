package main

import (
	"os"
	"strings"
	"testing"

	"github.com/smsbridge/smsbridge/internal/postfixtest"
)

// mainCF reads the settings of a main.cf: "key = value" lines, values
// continued on lines that start with white space.
func mainCF(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	var last string
	for line := range strings.SplitSeq(string(b), "\n") {
		switch {
		case strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#"):
		case line[0] == ' ' || line[0] == '\t':
			settings[last] = strings.TrimSpace(settings[last] + " " + strings.TrimSpace(line))
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s: %q is not key = value", path, line)
			}
			last = strings.TrimSpace(k)
			settings[last] = strings.TrimSpace(v)
		}
	}
	return settings
}

const frontConfig = `
[smtp]
listen = ["127.0.0.1:0"]
hostname = "gw.test"
domains = ["sms.example.com"]

[store]
path = "%DIR%/data/smsbridge.db"

[[transports]]
name = "sim"
type = "simulator"

[receipts]
mode = "none"
maildir = "%DIR%/mail"
`

// TestPostfixFrontRefusesBadNumberFromMynetworks (issue 13): with the
// lines of packaging/postfix/main.cf and packaging/postfix/transport, a
// real Postfix asks smsbridge about each SMS recipient, so a client on
// mynetworks gets 550 at RCPT for a bad number (not 250 and a bounce
// later) and 250 for a good one.
func TestPostfixFrontRefusesBadNumberFromMynetworks(t *testing.T) {
	t.Parallel()
	gw := startGateway(t, writeConfig(t, t.TempDir(), frontConfig))
	transport, err := os.ReadFile("../../packaging/postfix/transport")
	if err != nil {
		t.Fatal(err)
	}
	pf := postfixtest.New(t)
	settings := mainCF(t, "../../packaging/postfix/main.cf")
	if !strings.Contains(settings["transport_maps"], "/etc/postfix/transport") {
		t.Fatalf("main.cf's transport_maps %q does not name the transport file", settings["transport_maps"])
	}
	settings["transport_maps"] = pf.Map("transport", strings.ReplaceAll(string(transport), "127.0.0.1]:2525", "127.0.0.1]:"+portOf(gw)))
	pf.Start(settings)

	c := dialSMTP(t, pf.Addr) // from 127.0.0.1, on the instance's mynetworks
	if r := c.cmd("EHLO office.example.com"); !strings.HasPrefix(r, "250") {
		t.Fatal(r)
	}
	if r := c.cmd("MAIL FROM:<ops@example.com>"); !strings.HasPrefix(r, "250") {
		t.Fatal(r)
	}
	if r := c.cmd("RCPT TO:<12@sms.example.com>"); !strings.HasPrefix(r, "550 5.1.1 ") {
		t.Errorf("RCPT TO a bad number through Postfix: %q, want 550 5.1.1\n%s", r, pf.Log())
	}
	if r := c.cmd("RCPT TO:<4155550101@sms.example.com>"); !strings.HasPrefix(r, "250") {
		t.Errorf("RCPT TO a good number through Postfix: %q, want 250\n%s", r, pf.Log())
	}
}
