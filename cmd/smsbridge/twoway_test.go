package main

import (
	"bytes"
	"context"
	"fmt"
	"net/smtp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset"

	"github.com/smsbridge/smsbridge/internal/smtpsink"
	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

const twoWayConfig = `
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
smarthost = "%SINK%"
smarthost_tls = "none"

[inbound]
default_to = "ops-desk@example.com"
`

// twoWay is a gateway with an SMSC and a smarthost sink on loopback.
type twoWay struct {
	smsc *smsctest.Server
	sink *smtpsink.Sink
	cfg  string
	smtp string
	stop func()
}

func startTwoWay(t *testing.T, config string) *twoWay {
	t.Helper()
	tw := newTwoWay(t)
	tw.start(t, config, tw.sink.Addr())
	return tw
}

// newTwoWay starts the SMSC and the sink, not yet the gateway.
func newTwoWay(t *testing.T) *twoWay {
	t.Helper()
	smsc, err := smsctest.Start(smsctest.Options{ReceiptDelay: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { smsc.Close() })
	sink, err := smtpsink.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	return &twoWay{smsc: smsc, sink: sink}
}

// start writes config with %SMSC% and %SINK% (the gateway's smarthost)
// filled in and starts the gateway on it.
func (tw *twoWay) start(t *testing.T, config, smarthost string) {
	t.Helper()
	tw.cfg = writeConfig(t, t.TempDir(), strings.NewReplacer("%SMSC%", tw.smsc.Addr(), "%SINK%", smarthost).Replace(config))
	tw.restart(t)
}

// restart stops the gateway, if running, and starts it again on the same
// configuration and store.
func (tw *twoWay) restart(t *testing.T) {
	t.Helper()
	if tw.stop != nil {
		tw.stop()
	}
	tw.smtp, tw.stop = runTestGateway(t, tw.cfg)
	t.Cleanup(tw.stop)
}

// waitSubmit waits for the n-th submit (1-based) and returns it.
func (tw *twoWay) waitSubmit(t *testing.T, n int) smsctest.Submit {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := tw.smsc.WaitSubmits(ctx, n)
	if err != nil {
		t.Fatalf("SMSC has %d submits, want %d", len(s), n)
	}
	return s[n-1]
}

// sendMO injects an SMS from a phone, retrying until the gateway is bound.
func (tw *twoWay) sendMO(t *testing.T, from, text string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := tw.smsc.SendMO(from, "12345", text)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("SendMO: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (tw *twoWay) waitMail(t *testing.T, n int) smtpsink.Mail {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	mails, err := tw.sink.Wait(ctx, n)
	if err != nil {
		t.Fatalf("sink has %d mails, want %d", len(mails), n)
	}
	return mails[n-1]
}

func header(t *testing.T, m smtpsink.Mail) (message.Header, string) {
	t.Helper()
	e, err := message.Read(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("reading mail: %v\n%s", err, m.Data)
	}
	var body bytes.Buffer
	body.ReadFrom(e.Body)
	return e.Header, body.String()
}

// TestConversationLoop: mail → SMS → a reply from the phone → mail to the
// sender, threaded → that mail answered → SMS back to the phone.
func TestConversationLoop(t *testing.T) {
	t.Parallel()
	tw := startTwoWay(t, twoWayConfig)
	first := "Subject: Server down\r\nMessage-ID: <alert-7@monitor.example.com>\r\n\r\nweb-3 is down. Reply ACK to take it.\r\n"
	if err := smtp.SendMail(tw.smtp, nil, "oncall-bot@example.com", []string{"4155550142@sms.test"}, []byte(first)); err != nil {
		t.Fatal(err)
	}
	tw.waitSubmit(t, 1)

	tw.sendMO(t, "+14155550142", "ACK, on it")
	m := tw.waitMail(t, 1)
	h, body := header(t, m)
	if m.To[0] != "oncall-bot@example.com" {
		t.Errorf("reply mailed to %v, want the last sender", m.To)
	}
	if from := h.Get("From"); !strings.Contains(from, "<14155550142@sms.test>") || !strings.Contains(from, "+1 415-555-0142") {
		t.Errorf("From: %q", from)
	}
	if s, _ := h.Text("Subject"); s != "Re: Server down" {
		t.Errorf("Subject: %q", s)
	}
	if got := h.Get("In-Reply-To"); got != "<alert-7@monitor.example.com>" {
		t.Errorf("In-Reply-To: %q", got)
	}
	if strings.TrimSpace(body) != "ACK, on it" {
		t.Errorf("body %q", body)
	}

	// The sender answers the mail: it goes back to the phone as SMS.
	replyID := h.Get("Message-Id")
	answer := fmt.Sprintf("Subject: Re: Server down\r\nMessage-ID: <answer-1@example.com>\r\nIn-Reply-To: %s\r\n\r\nThanks!\r\n\r\nOn Thu, someone wrote:\r\n> ACK, on it\r\n", replyID)
	if err := smtp.SendMail(tw.smtp, nil, "oncall-bot@example.com", []string{"14155550142@sms.test"}, []byte(answer)); err != nil {
		t.Fatal(err)
	}
	s := tw.waitSubmit(t, 2)
	if s.Dest != "14155550142" || s.Text() != "Re: Server down\nThanks!" {
		t.Errorf("SMS back: to %s %q", s.Dest, s.Text())
	}

	// The next SMS from the phone threads under the sender's answer.
	tw.sendMO(t, "+14155550142", "fixed")
	h2, _ := header(t, tw.waitMail(t, 2))
	if got := h2.Get("In-Reply-To"); got != "<answer-1@example.com>" {
		t.Errorf("second reply In-Reply-To %q: want the sender's answer", got)
	}

	// A phone nobody wrote to: its SMS goes to [inbound] default_to.
	tw.sendMO(t, "+14155550199", "who is this?")
	if m := tw.waitMail(t, 3); m.To[0] != "ops-desk@example.com" {
		t.Errorf("stranger's SMS mailed to %v", m.To)
	}
	// Each deliver_sm (three SMS from phones, and receipts) was answered
	// ESME_ROK, the SMS ones once their mail was queued.
	for deadline := time.Now().Add(5 * time.Second); len(tw.smsc.DeliverStatuses()) < 3 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if got := tw.smsc.DeliverStatuses(); len(got) < 3 || slices.ContainsFunc(got, func(s uint32) bool { return s != 0 }) {
		t.Errorf("deliver_sm_resp statuses %#x, want ESME_ROK for at least the three SMS", got)
	}
}

// TestKeywords: STOP opts a number out (surviving a restart), the sender is
// told, later mail is refused with 550 5.7.1; HELP is answered; START opts in.
func TestKeywords(t *testing.T) {
	t.Parallel()
	tw := startTwoWay(t, twoWayConfig)
	if err := smtp.SendMail(tw.smtp, nil, "news@example.com", []string{"4155550150@sms.test"}, []byte("Subject: hi\r\n\r\nhello\r\n")); err != nil {
		t.Fatal(err)
	}
	tw.waitSubmit(t, 1)

	tw.sendMO(t, "+14155550150", "Stop")
	confirm := tw.waitSubmit(t, 2)
	if confirm.Dest != "14155550150" || !strings.Contains(confirm.Text(), "unsubscribed") {
		t.Errorf("STOP confirmation %s %q", confirm.Dest, confirm.Text())
	}
	notice := tw.waitMail(t, 1)
	if _, body := header(t, notice); notice.To[0] != "news@example.com" || !strings.Contains(body, "STOP") {
		t.Errorf("sender not told of the opt-out: %v %q", notice.To, body)
	}

	// The opt-out survives a restart of the gateway on the same store.
	tw.restart(t)
	c := dialSMTP(t, tw.smtp)
	c.cmd("EHLO client.test")
	c.cmd("MAIL FROM:<news@example.com>")
	if r := c.cmd("RCPT TO:<4155550150@sms.test>"); !strings.HasPrefix(r, "550 5.7.1") || !strings.Contains(r, "opted out") {
		t.Errorf("mail to an opted-out number: %q", r)
	}

	tw.sendMO(t, "+14155550150", "HELP")
	if s := tw.waitSubmit(t, 3); !strings.Contains(s.Text(), "Reply STOP") {
		t.Errorf("HELP answer %q", s.Text())
	}
	tw.sendMO(t, "+14155550150", "start")
	if s := tw.waitSubmit(t, 4); !strings.Contains(s.Text(), "subscribed again") {
		t.Errorf("START answer %q", s.Text())
	}
	c2 := dialSMTP(t, tw.smtp)
	c2.cmd("EHLO client.test")
	c2.cmd("MAIL FROM:<news@example.com>")
	if r := c2.cmd("RCPT TO:<4155550150@sms.test>"); !strings.HasPrefix(r, "250") {
		t.Errorf("after START: %q", r)
	}
}
