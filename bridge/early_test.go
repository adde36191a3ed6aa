package bridge

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport"
)

func TestEarlyReceiptsBounded(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rc := func(id string) transport.Receipt {
		return transport.Receipt{Transport: "smsc", MessageID: id, State: transport.StateDelivered}
	}
	tests := []struct {
		name               string
		maxCount, maxBytes int
		ids                []string
		wantDropped        []string
		wantKept           int
	}{
		{"within bounds", 3, 1 << 20, []string{"a", "b", "c"}, nil, 3},
		{"count: oldest out first", 2, 1 << 20, []string{"a", "b", "c", "d"}, []string{"a", "b"}, 2},
		{"same id again replaces", 2, 1 << 20, []string{"a", "b", "a", "c"}, []string{"b"}, 2},
		{"bytes", 100, 600, []string{"a", "b", strings.Repeat("x", 100)}, []string{"a", "b"}, 1},
		{"one too big for the bytes", 100, earlyOverhead, []string{strings.Repeat("x", 10)}, []string{strings.Repeat("x", 10)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEarlyReceipts(tt.maxCount, tt.maxBytes)
			var dropped []string
			for i, id := range tt.ids {
				for _, r := range e.park(receiptKey("smsc", id), rc(id), t0.Add(time.Duration(i)*time.Second)) {
					dropped = append(dropped, r.MessageID)
				}
			}
			if fmt.Sprint(dropped) != fmt.Sprint(tt.wantDropped) || e.len() != tt.wantKept {
				t.Errorf("dropped %v, %d kept; want %v, %d", dropped, e.len(), tt.wantDropped, tt.wantKept)
			}
			if e.bytes < 0 || e.bytes > tt.maxBytes || len(e.byKey) != e.len() {
				t.Errorf("%d bytes, %d keys for %d receipts", e.bytes, len(e.byKey), e.len())
			}
		})
	}

	e := newEarlyReceipts(10, 1<<20)
	for i, id := range []string{"a", "b", "c"} {
		e.park(receiptKey("smsc", id), rc(id), t0.Add(time.Duration(i)*time.Minute))
	}
	if r, ok := e.take(receiptKey("smsc", "b")); !ok || r.MessageID != "b" {
		t.Errorf("take(b) = %v %v", r, ok)
	}
	if _, ok := e.take(receiptKey("smsc", "b")); ok {
		t.Error("b taken twice")
	}
	if old := e.stale(t0.Add(90 * time.Second)); len(old) != 1 || old[0].MessageID != "a" || e.len() != 1 {
		t.Errorf("stale = %v, %d left", old, e.len())
	}
}

// receiptCounts is an Observer counting receipts by matched and drops.
type receiptCounts struct {
	nopObserver
	mu                          sync.Mutex
	matched, unmatched, dropped int
}

func (c *receiptCounts) Receipt(_ string, _ transport.ReceiptState, matched bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if matched {
		c.matched++
	} else {
		c.unmatched++
	}
}

func (c *receiptCounts) ReceiptDropped(string) {
	c.mu.Lock()
	c.dropped++
	c.mu.Unlock()
}

func (c *receiptCounts) get() (matched, unmatched, dropped int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.matched, c.unmatched, c.dropped
}

// TestEarlyReceiptCountedMatched: a receipt that comes before its submit
// is recorded is counted once, as matched, when it is applied.
func TestEarlyReceiptCountedMatched(t *testing.T) {
	var tr *fakeTransport
	tr = newFakeTransport(func(n int, p *transport.Part) (string, error) {
		id := fmt.Sprintf("id-%d", n)
		tr.receipt(id, transport.StateDelivered) // the network is faster than the store
		return id, nil
	})
	obs := &receiptCounts{}
	mailer := newFakeMailer()
	g, _ := startTestGateway(t, testConfig(), tr, mailer, func(o *Options) { o.Observer = obs })
	if _, err := submit(t, g, "ops@example.com", []string{"oncall@sms.test"}, "Subject: x\r\n\r\nshort\r\n"); err != nil {
		t.Fatal(err)
	}
	mails := mailer.wait(t, 2)
	for _, m := range mails {
		if !strings.Contains(string(m.Data), "Action: delivered") {
			t.Errorf("report:\n%s", m.Data)
		}
	}
	if matched, unmatched, _ := obs.get(); matched != 2 || unmatched != 0 {
		t.Errorf("receipts counted %d matched, %d unmatched; want 2 and 0", matched, unmatched)
	}
}

// TestUnknownReceiptsBounded: receipts for ids never sent wait within the
// bounds; those pushed out are counted as dropped and unmatched.
func TestUnknownReceiptsBounded(t *testing.T) {
	tr := newFakeTransport(func(n int, p *transport.Part) (string, error) { return fmt.Sprintf("id-%d", n), nil })
	obs := &receiptCounts{}
	g, _ := startTestGateway(t, testConfig(), tr, newFakeMailer(), func(o *Options) { o.Observer = obs })
	const sent = earlyMaxCount + 2000
	var wg sync.WaitGroup
	wg.Add(sent)
	<-tr.ready
	for i := range sent {
		tr.handler.HandleReceipt(transport.Receipt{Transport: "fake", MessageID: fmt.Sprintf("unknown-%d", i), State: transport.StateDelivered},
			func(error) { wg.Done() })
	}
	wg.Wait()
	g.receipts.mu.Lock()
	parked, bytes := g.receipts.early.len(), g.receipts.early.bytes
	g.receipts.mu.Unlock()
	_, unmatched, dropped := obs.get()
	t.Logf("%d receipts: %d parked (%d bytes), %d dropped", sent, parked, bytes, dropped)
	if parked != earlyMaxCount || dropped != sent-earlyMaxCount || unmatched != dropped {
		t.Errorf("%d parked, %d dropped, %d unmatched; want %d, %d, %d", parked, dropped, unmatched, earlyMaxCount, sent-earlyMaxCount, sent-earlyMaxCount)
	}
}

// TestEarlyReceiptSurvivesRestart: a receipt acknowledged before its
// submit was recorded is kept in the store; after a restart it is applied
// once that submit is recorded.
func TestEarlyReceiptSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	run := func(tr *fakeTransport, mailer *fakeMailer) (*Gateway, *store.DB, func()) {
		st, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		g, err := New(testConfig(), Options{Store: st, Lanes: []Lane{{Transport: tr, Slots: 1}}, Mailer: mailer,
			Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { g.Run(ctx, time.Second); close(done) }()
		return g, st, func() { cancel(); <-done; st.Close() }
	}

	tr := newFakeTransport(func(int, *transport.Part) (string, error) { return "unused", nil })
	_, st, stop := run(tr, newFakeMailer())
	<-tr.ready
	if err := handled(t, func(done func(error)) {
		tr.handler.HandleReceipt(transport.Receipt{Transport: "fake", MessageID: "net-7", State: transport.StateDelivered, ErrorCode: "000"}, done)
	}); err != nil {
		t.Fatalf("done(%v) for an early receipt", err)
	}
	if p, err := st.ParkedReceipts(); err != nil || len(p) != 1 || p[0].ID != "net-7" {
		t.Fatalf("parked in the store: %+v %v", p, err)
	}
	stop() // as a crash would, before any submit names net-7

	tr = newFakeTransport(func(int, *transport.Part) (string, error) { return "net-7", nil })
	mailer := newFakeMailer()
	g, st, stop := run(tr, mailer)
	defer stop()
	if _, err := submit(t, g, "ops@example.com", []string{"4151234567@sms.test"}, "Subject: x\r\n\r\nhello\r\n"); err != nil {
		t.Fatal(err)
	}
	if m := mailer.wait(t, 1); !strings.Contains(string(m[0].Data), "Action: delivered") {
		t.Errorf("report:\n%s", m[0].Data)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if p, err := st.ParkedReceipts(); err == nil && len(p) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the applied receipt is still parked in the store")
		}
	}
}

// TestEarlyReceiptMatchedAfterAnotherRecordsSubmit: with a shared store,
// the submit a parked receipt waits for may be recorded by another
// gateway; looking the waiting receipts up again applies it.
func TestEarlyReceiptMatchedAfterAnotherRecordsSubmit(t *testing.T) {
	tr := newFakeTransport(func(int, *transport.Part) (string, error) { return "unused", nil })
	g, st := startTestGateway(t, testConfig(), tr, newFakeMailer())
	<-tr.ready
	if err := handled(t, func(done func(error)) {
		tr.handler.HandleReceipt(transport.Receipt{Transport: "fake", MessageID: "net-9", State: transport.StateDelivered, ErrorCode: "000"}, done)
	}); err != nil {
		t.Fatalf("done(%v) for an early receipt", err)
	}

	// What another gateway on the same store does: its part, due later
	// than this gateway looks, begun and submitted as net-9.
	ctx := context.Background()
	now := time.Now()
	m := &store.Message{ID: "other1", Received: now, Expires: now.Add(time.Hour), Sender: "ops@example.com",
		Recipients: []store.Recipient{{Address: "4151234567@sms.test", Number: "+14151234567",
			Parts: []store.Part{{Text: "hello", Seq: 1, Total: 1, NextAttempt: now.Add(time.Hour)}}}}}
	if err := st.Enqueue(ctx, m); err != nil {
		t.Fatal(err)
	}
	k := store.PartKey{Msg: "other1"}
	if skipped, err := st.Begin(ctx, []store.PartKey{k}, "fake", now); err != nil || len(skipped) != 0 {
		t.Fatalf("Begin: skipped %v, %v", skipped, err)
	}
	if err := st.Submitted(ctx, k, "net-9", now); err != nil {
		t.Fatal(err)
	}
	state := func() store.PartState {
		got, err := st.Message("other1")
		if err != nil {
			t.Fatal(err)
		}
		return got.Recipients[0].Parts[0].State
	}
	if s := state(); s != store.PartSubmitted {
		t.Fatalf("before the receipts are looked up again the part is %v", s)
	}

	g.receipts.rematch(ctx)
	for deadline := time.Now().Add(5 * time.Second); state() != store.PartDelivered; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the part is %v; the parked receipt was not applied", state())
		}
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if p, err := st.ParkedReceipts(); err == nil && len(p) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the applied receipt is still parked in the store")
		}
	}
}
