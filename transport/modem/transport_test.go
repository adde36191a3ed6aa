package modem

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/transport"
	"github.com/smsbridge/smsbridge/transport/modem/modemtest"
)

func TestSendSingleWithReport(t *testing.T) {
	t.Parallel()
	m := sim(t, modemtest.Config{})
	tr, rec := startTransport(t, Config{Devices: []string{m.Path()}})
	p := parts(t, "+447700900123", "Disk alert: /var is 97% full", sms.ModeGSM7, 7)[0]
	id, err := tr.Send(ctxT(t), p)
	if err != nil {
		t.Fatal(err)
	}
	sent := m.Sent()
	if len(sent) != 1 || sent[0].To != "+447700900123" || sent[0].Text != p.Text || !sent[0].SRR || sent[0].Total != 0 || sent[0].DCS != 0 {
		t.Fatalf("modem got %+v", sent)
	}
	rec.wait(t, "the status report", func() bool { return len(rec.receipts) == 1 })
	r := rec.receipts[0]
	if r.MessageID != id || r.State != transport.StateDelivered || r.Transport != "gsm" || r.ErrorCode != "000" {
		t.Fatalf("receipt %+v for id %q", r, id)
	}
	if st := m.Stats(); st.Unacked != 0 || st.Acks != 1 {
		t.Fatalf("status report not acknowledged: %+v", st)
	}
}

func TestSendMultipartUCS2(t *testing.T) {
	t.Parallel()
	m := sim(t, modemtest.Config{})
	tr, rec := startTransport(t, Config{Devices: []string{m.Path()}})
	text := strings.Repeat("Grüße aus Köln – ☕ ", 8)
	ps := parts(t, "+4915112345678", text, sms.ModeUCS2, 42)
	if len(ps) < 2 {
		t.Fatalf("text made %d parts", len(ps))
	}
	ids := map[string]bool{}
	for _, p := range ps {
		id, err := tr.Send(ctxT(t), p)
		if err != nil {
			t.Fatal(err)
		}
		ids[id] = true
	}
	if len(ids) != len(ps) {
		t.Fatalf("ids not unique: %v", ids)
	}
	var got strings.Builder
	for i, s := range m.Sent() {
		if s.ConcatRef != 42 || s.Seq != i+1 || s.Total != len(ps) || s.DCS != 0x08 {
			t.Fatalf("part %d: %+v", i, s)
		}
		got.WriteString(s.Text)
	}
	if want := joinParts(ps); got.String() != want {
		t.Fatalf("reassembled %q, want %q", got.String(), want)
	}
	rec.wait(t, "every status report", func() bool { return len(rec.receipts) == len(ps) })
	for _, r := range rec.receipts {
		if !ids[r.MessageID] || r.State != transport.StateDelivered {
			t.Fatalf("receipt %+v", r)
		}
		delete(ids, r.MessageID)
	}
}

func joinParts(ps []*transport.Part) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.Text)
	}
	return b.String()
}

func TestFailedReport(t *testing.T) {
	t.Parallel()
	m := sim(t, modemtest.Config{ReportStatus: func(string) byte { return 0x46 }})
	tr, rec := startTransport(t, Config{Devices: []string{m.Path()}})
	id, err := tr.Send(ctxT(t), parts(t, "+33612345678", "hello", sms.ModeGSM7, 1)[0])
	if err != nil {
		t.Fatal(err)
	}
	rec.wait(t, "the report", func() bool { return len(rec.receipts) == 1 })
	if r := rec.receipts[0]; r.MessageID != id || r.State != transport.StateExpired || r.ErrorCode != "070" {
		t.Fatalf("receipt %+v", r)
	}
}

func TestSendErrors(t *testing.T) {
	t.Parallel()
	m := sim(t, modemtest.Config{})
	m.FailSend(1, "+CMS ERROR: 42")
	m.FailSend(2, "+CMS ERROR: 1")
	tr, _ := startTransport(t, Config{Devices: []string{m.Path()}})
	p := parts(t, "+447700900123", "x", sms.ModeGSM7, 1)[0]
	_, err := tr.Send(ctxT(t), p)
	if err == nil || transport.IsPermanent(err) || transport.IsInDoubt(err) {
		t.Fatalf("congestion: %v", err)
	}
	_, err = tr.Send(ctxT(t), p)
	if !transport.IsPermanent(err) {
		t.Fatalf("unassigned number: %v", err)
	}
	if _, err := tr.Send(ctxT(t), p); err != nil {
		t.Fatalf("third send: %v", err)
	}
}

func TestIncoming(t *testing.T) {
	t.Parallel()
	m := sim(t, modemtest.Config{Number: "+447700900999"})
	_, rec := startTransport(t, Config{Devices: []string{m.Path()}})
	long := strings.Repeat("A long reply that needs several parts. ", 6)
	cases := []struct {
		from, text string
		stored     bool
	}{
		{"+447700900111", "Ack, on it", false},
		{"+447700900222", long, false},
		{"+447700900333", "Stored one", true},
		{"+447700900444", long + "€", true},
	}
	for _, c := range cases {
		if err := m.Deliver(c.from, c.text, c.stored); err != nil {
			t.Fatal(err)
		}
	}
	rec.wait(t, "every incoming message", func() bool { return len(rec.inbound) == len(cases) })
	got := map[string]transport.Inbound{}
	rec.mu.Lock()
	for _, in := range rec.inbound {
		got[in.From] = in
	}
	rec.mu.Unlock()
	for _, c := range cases {
		in := got[c.from]
		if in.Text != c.text || in.To != "+447700900999" || in.Transport != "gsm" || in.Received.IsZero() {
			t.Errorf("from %s: %+v", c.from, in)
		}
	}
	if err := m.Wait(ctxT(t), func(m *modemtest.Modem) bool { return m.StatsLocked().Stored == 0 }); err != nil {
		t.Fatalf("stored messages not deleted: %+v", m.Stats())
	}
	if st := m.Stats(); st.Unacked != 0 {
		t.Fatalf("unacknowledged +CMT: %+v", st)
	}
}

func TestPIN(t *testing.T) {
	t.Parallel()
	m := sim(t, modemtest.Config{PIN: "4321"})
	tr, _ := startTransport(t, Config{Devices: []string{m.Path()}, PIN: "4321"})
	if _, err := tr.Send(ctxT(t), parts(t, "+447700900123", "hi", sms.ModeGSM7, 1)[0]); err != nil {
		t.Fatal(err)
	}
	if st := m.Stats(); st.PINAsks != 1 {
		t.Fatalf("PIN sent %d times", st.PINAsks)
	}
}

func TestWrongPINTriedOnce(t *testing.T) {
	t.Parallel()
	m := sim(t, modemtest.Config{PIN: "4321"})
	tr, err := New(Config{Name: "gsm", Devices: []string{m.Path()}, PIN: "1111", Logger: testLogger(t),
		ReopenMin: 10 * time.Millisecond, ReopenMax: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The only modem gives up: Run returns its error before ctx ends.
	if err := tr.Run(ctx, newRecorder()); err == nil || ctx.Err() != nil {
		t.Fatalf("Run = %v; ctx %v", err, ctx.Err())
	}
	if st := m.Stats(); st.PINAsks != 1 || tr.Up() {
		t.Fatalf("PIN sent %d times; up %v", st.PINAsks, tr.Up())
	}
}

// TestReportAfterRestart: a status report that arrives after the gateway
// restarted names the send it is for, so its part is matched and not left
// to expire.
func TestReportAfterRestart(t *testing.T) {
	t.Parallel()
	m := sim(t, modemtest.Config{ReportDelay: 1500 * time.Millisecond})
	tr, _, stop := startStoppable(t, Config{Devices: []string{m.Path()}})
	p := parts(t, "+447700900123", "sent before the restart", sms.ModeGSM7, 7)[0]
	id, err := tr.Send(ctxT(t), p)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	_, rec := startTransport(t, Config{Devices: []string{m.Path()}})
	rec.wait(t, "the status report", func() bool { return len(rec.receipts) == 1 })
	if r := rec.receipts[0]; r.MessageID != id || r.State != transport.StateDelivered {
		t.Fatalf("receipt %+v after the restart, want id %q delivered", r, id)
	}
}
