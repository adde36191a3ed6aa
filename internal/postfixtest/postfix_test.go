package postfixtest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/smsbridge/smsbridge/internal/postfixtest"
	"github.com/smsbridge/smsbridge/internal/smtpsink"
)

// TestRelaysToSink: the instance relays what a mynetworks client gives it
// to its relayhost, here the project's SMTP sink.
func TestRelaysToSink(t *testing.T) {
	sink, err := smtpsink.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	pf := postfixtest.Start(t, map[string]string{"relayhost": "[127.0.0.1]:" + port(sink.Addr())})
	c, err := smtp.Dial(pf.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendMail("ops@example.com", []string{`"john doe"@example.net`}, strings.NewReader("Subject: hi\r\n\r\nhello\r\n")); err != nil {
		t.Fatalf("%v\n%s", err, pf.Log())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	mails, err := sink.Wait(ctx, 1)
	if err != nil {
		t.Fatalf("nothing relayed: %v\n%s", err, pf.Log())
	}
	t.Logf("%q %q", mails[0].Commands, mails[0].To)
	if mails[0].To[0] != "john doe@example.net" {
		t.Errorf("relayed to %q", mails[0].To)
	}
}

func port(hostPort string) string { return hostPort[strings.LastIndexByte(hostPort, ':')+1:] }
