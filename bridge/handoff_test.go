package bridge

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport"
)

// handoffFunc is a Handoff of a function.
type handoffFunc func(ctx context.Context, from string, in transport.Inbound) (bool, error)

func (h handoffFunc) TakeInbound(ctx context.Context, from string, in transport.Inbound) (bool, error) {
	return h(ctx, from, in)
}

// TestInboundHandoff: an SMS the integration takes is not mailed, and not
// even read as a keyword; one it fails to keep is not kept (done with its
// error); one it does not take is mailed.
func TestInboundHandoff(t *testing.T) {
	cfg := testConfig()
	cfg.InboundDefaultTo = "desk@example.com"
	tr := newFakeTransport(func(int, *transport.Part) (string, error) { return "id", nil })
	mailer := newFakeMailer()
	var taken []string
	_, st := startTestGateway(t, cfg, tr, mailer, func(o *Options) {
		o.Handoff = handoffFunc(func(_ context.Context, from string, in transport.Inbound) (bool, error) {
			switch in.To {
			case "12345":
				taken = append(taken, from+" "+in.Text)
				return true, nil
			case "99999":
				return true, errors.New("disk full")
			}
			return false, nil
		})
	})
	<-tr.ready
	tr.mu.Lock()
	h := tr.handler
	tr.mu.Unlock()
	inbound := func(to, text string) error {
		t.Helper()
		return handled(t, func(done func(error)) {
			h.HandleInbound(transport.Inbound{Transport: "fake", From: "+14155550100", To: to, Text: text, Received: time.Now()}, done)
		})
	}
	if err := inbound("12345", "STOP"); err != nil {
		t.Fatalf("taken: done(%v)", err)
	}
	if err := inbound("99999", "lost?"); err == nil {
		t.Error("done(nil) for an SMS the integration could not keep")
	}
	if err := inbound("55555", "for the desk"); err != nil {
		t.Fatal(err)
	}
	mails := mailer.wait(t, 1)
	if len(mails) != 1 || len(taken) != 1 || taken[0] != "+14155550100 STOP" {
		t.Errorf("mailed %d, taken %q", len(mails), taken)
	}
	if out, _, err := st.OptedOut("+14155550100"); err != nil || out {
		t.Errorf("a STOP the integration took opted the number out: %v %v", out, err)
	}
}
