package bridge

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/mailout"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport"
)

// failingMailSent is a store whose MailSent fails while failing is set, as
// on a full disk.
type failingMailSent struct {
	*store.DB
	failing atomic.Bool
	calls   atomic.Int32
}

func (s *failingMailSent) MailSent(ctx context.Context, id string) error {
	s.calls.Add(1)
	if s.failing.Load() {
		return errors.New("write q.db: no space left on device")
	}
	return s.DB.MailSent(ctx, id)
}

// countingMailer counts deliveries; it never blocks.
type countingMailer struct{ n atomic.Int32 }

func (m *countingMailer) Deliver(context.Context, *mailout.Mail) error {
	m.n.Add(1)
	return nil
}

// TestOutboxHoldsOffWhileStoreFails: a mail handed on whose removal from
// the outbox fails is neither sent again nor retried in a hot loop; it is
// removed once the store writes again.
func TestOutboxHoldsOffWhileStoreFails(t *testing.T) {
	tr := newFakeTransport(func(n int, p *transport.Part) (string, error) { return fmt.Sprintf("id-%d", n), nil })
	mailer := &countingMailer{}
	var fs *failingMailSent
	g, st := startTestGateway(t, testConfig(), tr, nil, func(o *Options) {
		fs = &failingMailSent{DB: o.Store.(*store.DB)}
		fs.failing.Store(true)
		o.Store = fs
		o.Mailer = mailer
	})
	if _, err := submit(t, g, "ops@example.com", []string{"4151234567@sms.test"}, "Subject: x\r\n\r\nhello\r\n"); err != nil {
		t.Fatal(err)
	}
	tr.receipt("id-1", transport.StateDelivered)
	for deadline := time.Now().Add(10 * time.Second); mailer.n.Load() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no report delivered")
		}
	}
	time.Sleep(time.Second)
	calls, sent := fs.calls.Load(), mailer.n.Load()
	t.Logf("in 1s of failing writes: %d tries to remove the mail, %d deliveries", calls, sent)
	if sent != 1 {
		t.Errorf("the report was delivered %d times", sent)
	}
	if calls > 10 {
		t.Errorf("%d tries to remove the mail in 1s", calls)
	}
	fs.failing.Store(false)
	for deadline := time.Now().Add(40 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if due, err := st.DueMail(time.Now().Add(time.Hour), 10); err == nil && len(due) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the mail never left the outbox once the store wrote again")
		}
	}
	if n := mailer.n.Load(); n != 1 {
		t.Errorf("the report was delivered %d times", n)
	}
}

// failingSubmitted is a store whose Submitted fails its first fails
// times, as while a cluster has no quorum.
type failingSubmitted struct {
	*store.DB
	fails atomic.Int32
	calls atomic.Int32
}

func (s *failingSubmitted) Submitted(ctx context.Context, k store.PartKey, id string, now time.Time) error {
	if s.calls.Add(1) <= s.fails.Load() {
		return errors.New("write t.x.y: context deadline exceeded")
	}
	return s.DB.Submitted(ctx, k, id, now)
}

// TestSubmittedRecordedOnceStoreWrites: a submit whose record fails is
// recorded once the store writes again, not left submitting until a
// restart: its receipt then finds it and the sender gets the report.
func TestSubmittedRecordedOnceStoreWrites(t *testing.T) {
	tr := newFakeTransport(func(n int, p *transport.Part) (string, error) { return fmt.Sprintf("id-%d", n), nil })
	mailer := newFakeMailer()
	var fs *failingSubmitted
	g, st := startTestGateway(t, testConfig(), tr, mailer, func(o *Options) {
		fs = &failingSubmitted{DB: o.Store.(*store.DB)}
		fs.fails.Store(3)
		o.Store = fs
	})
	id, err := submit(t, g, "ops@example.com", []string{"4151234567@sms.test"}, "Subject: x\r\n\r\nhello\r\n")
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		m, err := st.Message(id)
		if err != nil {
			t.Fatal(err)
		}
		if p := m.Recipients[0].Parts[0]; p.State == store.PartSubmitted && p.TransportID == "id-1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("part %v after %d tries to record its submit", m.Recipients[0].Parts[0].State, fs.calls.Load())
		}
	}
	if n := fs.calls.Load(); n != 4 {
		t.Errorf("%d tries to record the submit; want 4 (3 failed)", n)
	}
	tr.receipt("id-1", transport.StateDelivered)
	if m := mailer.wait(t, 1); !strings.Contains(string(m[0].Data), "Action: delivered") {
		t.Errorf("report:\n%s", m[0].Data)
	}
}
