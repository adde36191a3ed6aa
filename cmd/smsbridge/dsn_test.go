package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

const dsnConfig = `
[smtp]
listen = ["127.0.0.1:0"]
hostname = "gw.test"
domains = ["sms.test"]

[store]
path = "%DIR%/data/smsbridge.db"

[[transports]]
name = "smsc"
type = "smpp"
address = "%SMSC%"

[receipts]
mode = "none"
delay_after = "300ms"
smarthost = "%SINK%"
smarthost_tls = "none"
`

// sendDSN sends one mail with DSN parameters over a raw session.
func sendDSN(t *testing.T, addr, mailParams, rcpt, rcptParams, body string) {
	t.Helper()
	c := dialSMTP(t, addr)
	if r := c.cmd("EHLO client.test"); !strings.HasPrefix(r, "250") {
		t.Fatal(r)
	}
	if r := c.cmd("MAIL FROM:<ops@example.com> %s", mailParams); !strings.HasPrefix(r, "250") {
		t.Fatalf("MAIL: %s", r)
	}
	if r := c.cmd("RCPT TO:<%s> %s", rcpt, rcptParams); !strings.HasPrefix(r, "250") {
		t.Fatalf("RCPT: %s", r)
	}
	if r := c.data(body); !strings.HasPrefix(r, "250") {
		t.Fatalf("DATA: %s", r)
	}
}

// TestDSN: NOTIFY decides which reports are sent, whatever the receipt mode;
// ENVID and ORCPT are echoed; RET=FULL returns the whole mail, HDRS only the
// header; NOTIFY=DELAY gets one delay notice.
func TestDSN(t *testing.T) {
	t.Parallel()
	tw := startTwoWay(t, dsnConfig)
	body := "Subject: Nightly\r\nMessage-ID: <n1@example.com>\r\n\r\nbackup ok\r\n"

	sendDSN(t, tw.smtp, "RET=FULL ENVID=QQ314159", "4155550101@sms.test", "NOTIFY=SUCCESS ORCPT=rfc822;4155550101@sms.test", body)
	m := tw.waitMail(t, 1)
	for _, want := range []string{"Subject: Delivered: Nightly", "Original-Envelope-Id: QQ314159",
		"Original-Recipient: rfc822;4155550101@sms.test", "Content-Type: message/rfc822", "backup ok"} {
		if !strings.Contains(string(m.Data), want) {
			t.Errorf("NOTIFY=SUCCESS RET=FULL report lacks %q:\n%s", want, m.Data)
		}
	}

	// NEVER and FAILURE (which succeeds): no report at all.
	sendDSN(t, tw.smtp, "", "4155550102@sms.test", "NOTIFY=NEVER", body)
	sendDSN(t, tw.smtp, "", "4155550103@sms.test", "NOTIFY=FAILURE", body)
	tw.waitSubmit(t, 3)

	// FAILURE with a failure: the SMSC refuses the destination.
	tw.smsc.SetReject(0x0B)
	sendDSN(t, tw.smtp, "RET=HDRS", "4155550104@sms.test", "NOTIFY=FAILURE,DELAY", body)
	m = tw.waitMail(t, 2)
	for _, want := range []string{"Subject: Undeliverable: Nightly", "Action: failed", "Content-Type: text/rfc822-headers", "Final-Recipient: rfc822; 4155550104@sms.test"} {
		if !strings.Contains(string(m.Data), want) {
			t.Errorf("failure report lacks %q:\n%s", want, m.Data)
		}
	}
	if strings.Contains(string(m.Data), "backup ok") {
		t.Errorf("RET=HDRS report carries the body:\n%s", m.Data)
	}
	tw.smsc.SetReject(0)

	// DELAY: the SMSC accepts but no receipt comes within delay_after.
	tw.smsc.SetHold(true)
	sendDSN(t, tw.smtp, "", "4155550105@sms.test", "NOTIFY=DELAY", body)
	m = tw.waitMail(t, 3)
	if !strings.Contains(string(m.Data), "Subject: Delayed: Nightly") || !strings.Contains(string(m.Data), "Action: delayed") {
		t.Errorf("delay notice:\n%s", m.Data)
	}
	time.Sleep(time.Second) // several report rounds: the notice must not repeat
	if n := len(tw.sink.Mails()); n != 3 {
		t.Errorf("%d mails at the sink, want 3 (one delay notice only)", n)
	}
	tw.smsc.SetHold(false)
}

// TestSmarthostOutage: while the smarthost refuses mail, reports wait in the
// outbox; when it takes mail again each arrives exactly once.
func TestSmarthostOutage(t *testing.T) {
	t.Parallel()
	conf := strings.Replace(dsnConfig, `delay_after = "300ms"`, `delay_after = "0s"
retry_min = "100ms"`, 1)
	conf = strings.Replace(conf, `mode = "none"`, `mode = "all"`, 1)
	tw := startTwoWay(t, conf)
	tw.sink.SetRefuse(true)
	for i := range 5 {
		rcpt := fmt.Sprintf("41555502%02d@sms.test", i)
		sendDSN(t, tw.smtp, "", rcpt, "", fmt.Sprintf("Subject: outage %d\r\n\r\nbackup ok\r\n", i))
	}
	tw.waitSubmit(t, 5)
	time.Sleep(time.Second) // the outbox tries, and is refused, several times
	if n := len(tw.sink.Mails()); n != 0 {
		t.Fatalf("%d mails got through a refusing smarthost", n)
	}
	tw.sink.SetRefuse(false)
	tw.waitMail(t, 5)
	time.Sleep(time.Second) // nothing may come twice
	seen := map[string]int{}
	for _, m := range tw.sink.Mails() {
		h, _ := header(t, m)
		s, _ := h.Text("Subject")
		seen[s]++
	}
	for i := range 5 {
		if s := fmt.Sprintf("Delivered: outage %d", i); seen[s] != 1 {
			t.Errorf("%q arrived %d times, want once (all: %v)", s, seen[s], seen)
		}
	}
}
