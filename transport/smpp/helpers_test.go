package smpp

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/transport"
	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

// recorder is a transport.Handler that keeps what it gets.
type recorder struct {
	mu       sync.Mutex
	receipts []transport.Receipt
	inbound  []transport.Inbound
	changed  chan struct{}
	// refuse, when set, is the answer to every receipt and inbound SMS.
	refuse error
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

func (r *recorder) HandleReceipt(x transport.Receipt, done func(error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refuse != nil {
		done(r.refuse)
		return
	}
	r.receipts = append(r.receipts, x)
	close(r.changed)
	r.changed = make(chan struct{})
	done(nil)
}

// HandleInbound records x, or refuses it with refuse when set.
func (r *recorder) HandleInbound(x transport.Inbound, done func(error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refuse != nil {
		done(r.refuse)
		return
	}
	r.inbound = append(r.inbound, x)
	close(r.changed)
	r.changed = make(chan struct{})
	done(nil)
}

// waitFor polls cond at each event until it holds or d passes.
func (r *recorder) waitFor(t *testing.T, d time.Duration, cond func(*recorder) bool) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ok, ch := cond(r), r.changed
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("condition not met within %s", d)
		}
	}
}

func startServer(t testing.TB, opt smsctest.Options) *smsctest.Server {
	t.Helper()
	srv, err := smsctest.Start(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func testConfig(addr string) Config {
	return Config{
		Name: "smsc", Address: addr, SystemID: "user", Password: "pw",
		Source: "SMSBRIDGE", Window: 10, Binds: 1, Bind: "transceiver",
		EnquireLink: 5 * time.Second, ResponseTimeout: 2 * time.Second,
	}
}

// startTransport runs a transport until the test ends.
func startTransport(t testing.TB, cfg Config, h transport.Handler) *Transport {
	t.Helper()
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr.minBackoff = 20 * time.Millisecond
	runTransport(t, tr, h)
	return tr
}

// runTransport runs tr until the test ends.
func runTransport(t testing.TB, tr *Transport, h transport.Handler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tr.Run(ctx, h) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func waitUp(t testing.TB, tr *Transport) {
	t.Helper()
	for range 300 {
		if tr.Up() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("transport did not bind within 3s")
}

func gsmPart(t testing.TB, to, text string) *transport.Part {
	t.Helper()
	septets, err := sms.EncodeGSM7(text)
	if err != nil {
		t.Fatal(err)
	}
	return &transport.Part{Key: "k", To: to, Encoding: sms.GSM7, Text: text, Payload: septets}
}

func ctxTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// waitDeliverStatuses waits up to 5 s for the client to have answered n
// deliver_sm, and returns the answers' statuses.
func waitDeliverStatuses(srv *smsctest.Server, n int) []uint32 {
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if got := srv.DeliverStatuses(); len(got) >= n || time.Now().After(deadline) {
			return got
		}
	}
}
