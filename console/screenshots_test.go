package console

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/smsbridge/smsbridge/bridge/smtpbackend"
	"github.com/smsbridge/smsbridge/smtpd"
)

// mail submits a mail as the SMTP server would, after its RCPT TO.
func (g *gateway) mail(t testing.TB, from, to, subject, body string) string {
	t.Helper()
	ctx := context.Background()
	be := smtpbackend.New(g.GW)
	env := &smtpd.Envelope{ID: "test", From: from, Trusted: true}
	numbers, err := be.Recipient(ctx, env, to)
	if err != nil {
		t.Fatal(err)
	}
	env.Recipients = []smtpd.Recipient{{Address: to, Numbers: numbers}}
	msg := "From: Monitoring <" + from + ">\r\nTo: <" + to + ">\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + strings.ReplaceAll(subject, " ", ".") + "@monitoring.example.com>\r\n" +
		"Date: " + time.Now().UTC().Format(time.RFC1123Z) + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n"
	id, err := be.Submit(ctx, env, []byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestScreenshots fills a gateway with delivered, failed and waiting
// messages, conversations and opt-outs, and writes each page of the
// console, as a desktop and as a phone shows it, to docs/console/:
//
//	go test ./console -run TestScreenshots -args -screenshots
func TestScreenshots(t *testing.T) {
	if !*screenshots {
		t.Skip("writes docs/console/*.png only when asked: go test ./console -run TestScreenshots -args -screenshots")
	}
	ctx := browser(t)
	g := startGateway(t)
	b := &tab{t: t, ctx: ctx, g: g}

	var delivered string
	for i, to := range []string{"+447700900123@sms.example.com", "+447700900124@sms.example.com", "+447700900125@sms.example.com"} {
		delivered = g.mail(t, "alerts@monitoring.example.com", to, []string{"db1 disk full", "api latency high", "backup done"}[i],
			"Disk /var on db1 is 97% full. Free space: 1.2 GB. Runbook: https://wiki.example.com/db1")
	}
	long := g.send(t, "+447700900126", strings.Repeat("The nightly report is ready and attached to the ticket. ", 5), "reports@example.com")
	if _, err := g.SMSC.WaitSubmits(ctx, 5); err != nil {
		t.Fatal(err)
	}
	g.SMSC.SetReject(0x0B) // ESME_RINVDSTADR: permanent
	failed := g.send(t, "+447700900127", "Your code is 4411", "")
	g.waitMessage(t, failed, "failed")
	g.SMSC.SetReject(0x08) // ESME_RSYSERR: temporary, the message waits
	waiting := g.send(t, "+447700900128", "Maintenance tonight 22:00-23:00 UTC", "ops@example.com")
	if _, err := g.SMSC.WaitSubmits(ctx, 7); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"+447700900200", "+447700900201"} {
		if err := g.Store.OptOut(ctx, n, time.Now().Add(-26*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	g.waitMessage(t, delivered, "delivered")
	g.waitMessage(t, long, "delivered")

	b.login(operatorName, operatorPass)
	pages := []struct{ name, path string }{
		{"overview", Prefix},
		{"messages", Prefix + "messages"},
		{"message", Prefix + "messages/" + delivered},
		{"message-waiting", Prefix + "messages/" + waiting},
		{"send", Prefix + "send"},
		{"conversations", Prefix + "conversations"},
		{"thread", Prefix + "conversations/+447700900123"},
		{"optouts", Prefix + "optouts"},
	}
	for _, p := range pages {
		b.open(p.path)
		if p.name == "send" {
			b.do(chromedp.SendKeys(chromedp.CSS(`textarea[name="to"]`), "oncall"),
				chromedp.SendKeys(chromedp.CSS(`textarea[name="text"]`), "Failover to db2 done; 3 € a month saved"))
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("count").textContent.includes("part")`,
				chromedp.WithPollingTimeout(10*time.Second))); err != nil {
				t.Fatal(err)
			}
		}
		b.shoot(p.name)
	}
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	for _, p := range []struct{ name, path string }{{"phone-overview", Prefix}, {"phone-message", Prefix + "messages/" + delivered}} {
		b.open(p.path)
		b.shoot(p.name)
	}
	b.submit(`form.logout button`)
	b.do(chromedp.EmulateViewport(1280, 900))
	b.open(Prefix + "login")
	b.shoot("login")
}
