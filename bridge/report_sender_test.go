package bridge

import (
	"fmt"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport"
)

// TestNoReportToUnwritableSender: a sender kept in the queue that the
// gateway cannot write back exactly (one stored before MAIL FROM was
// checked) gets no report, and the report is settled, not retried; a good
// sender after it gets its report.
func TestNoReportToUnwritableSender(t *testing.T) {
	t.Parallel()
	mailer := newFakeMailer()
	g, st := startTestGateway(t, testConfig(), deliveringTransport(), mailer)
	bad, err := submit(t, g, "victim@example.net> ORCPT=rfc822;z@attacker.example", []string{"4151234567@sms.test"}, "Subject: x\r\n\r\nhello\r\n")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, err := st.Message(bad)
		if err != nil {
			t.Fatal(err)
		}
		if m.Recipients[0].Reported {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the report for an unwritable sender was never settled")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := submit(t, g, "ops@example.com", []string{"4151234568@sms.test"}, "Subject: y\r\n\r\nhello\r\n"); err != nil {
		t.Fatal(err)
	}
	mails := mailer.wait(t, 1)
	if len(mails) != 1 || mails[0].To[0] != "ops@example.com" {
		t.Errorf("reports %v, want one to ops@example.com", mails)
	}
}

// deliveringTransport accepts every part, and its receipt says delivered
// before the submit's answer, as fast SMSCs do.
func deliveringTransport() *fakeTransport {
	var tr *fakeTransport
	tr = newFakeTransport(func(n int, p *transport.Part) (string, error) {
		id := fmt.Sprintf("id-%d", n)
		tr.receipt(id, transport.StateDelivered)
		return id, nil
	})
	return tr
}
