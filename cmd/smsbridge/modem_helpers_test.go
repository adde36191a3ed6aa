package main

import (
	"context"
	"net/smtp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport/modem/modemtest"
)

// modemConfig is a gateway sending through simulated modems; %DEVICES% is
// the TOML of device or devices.
const modemConfig = `
[smtp]
listen = ["%LISTEN%"]
hostname = "gw.test"
domains = ["sms.test"]

[sms]
validity = "1h"

[store]
path = "%DIR%/data/smsbridge.db"

[[transports]]
name = "gsm"
type = "modem"
%DEVICES%
pin = "1234"
daily_limit = %LIMIT%

[receipts]
mode = "all"
maildir = "%DIR%/mail"

[inbound]
default_to = "ops@example.com"
`

func modemConf(listen, devices, limit string) string {
	return strings.NewReplacer("%LISTEN%", listen, "%DEVICES%", devices, "%LIMIT%", limit).Replace(modemConfig)
}

func startSim(t *testing.T, cfg modemtest.Config) *modemtest.Modem {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	if cfg.PIN == "" {
		cfg.PIN = "1234"
	}
	m, err := modemtest.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

func sendPlain(t *testing.T, addr string, to []string, subject, body string) {
	t.Helper()
	msg := "From: ops@example.com\r\nTo: " + strings.Join(to, ", ") + "\r\nSubject: " + subject + "\r\n\r\n" + body + "\r\n"
	if err := smtp.SendMail(addr, nil, "ops@example.com", to, []byte(msg)); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
}

// waitSent waits until the simulated modems together sent n SMS.
func waitSent(t *testing.T, ctx context.Context, n int, ms ...*modemtest.Modem) []modemtest.Submit {
	t.Helper()
	for {
		var all []modemtest.Submit
		for _, m := range ms {
			all = append(all, m.Sent()...)
		}
		if len(all) >= n {
			return all
		}
		select {
		case <-ctx.Done():
			t.Fatalf("modems sent %d SMS, want %d: %+v", len(all), n, all)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// joinConcatenated checks that parts make one concatenated message, each
// sequence number once, and returns its text.
func joinConcatenated(t *testing.T, parts []modemtest.Submit) string {
	t.Helper()
	sort.Slice(parts, func(i, j int) bool { return parts[i].Seq < parts[j].Seq })
	var b strings.Builder
	for i, p := range parts {
		if p.Total != len(parts) || p.Seq != i+1 || p.ConcatRef != parts[0].ConcatRef || !p.SRR {
			t.Fatalf("part %d of %d: %+v", i+1, len(parts), p)
		}
		b.WriteString(p.Text)
	}
	return b.String()
}
