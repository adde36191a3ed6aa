package smpp

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport"
	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

// fakeLeases grants the slots the test opens and takes them back when it
// says; it records the Acquire calls and releases.
type fakeLeases struct {
	mu       sync.Mutex
	open     map[int]bool          // slots that may be granted
	lost     map[int]chan struct{} // slots granted, not yet lost or released
	acquires map[int]int
	released map[int]int
	changed  chan struct{}
}

func newFakeLeases() *fakeLeases {
	return &fakeLeases{open: map[int]bool{}, lost: map[int]chan struct{}{}, acquires: map[int]int{},
		released: map[int]int{}, changed: make(chan struct{})}
}

func (f *fakeLeases) Acquire(ctx context.Context, transport string, slot, binds int) (<-chan struct{}, error) {
	if transport != "smsc" || binds != 2 {
		return nil, fmt.Errorf("Acquire(%q, %d, %d): want smsc's slots of 2", transport, slot, binds)
	}
	f.mu.Lock()
	f.acquires[slot]++
	f.mu.Unlock()
	for {
		f.mu.Lock()
		if f.open[slot] && f.lost[slot] == nil {
			ch := make(chan struct{})
			f.lost[slot] = ch
			f.mu.Unlock()
			return ch, nil
		}
		wait := f.changed
		f.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (f *fakeLeases) Release(transport string, slot int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.released[slot]++
	delete(f.lost, slot)
	f.notifyLocked()
}

// grant lets slot be acquired.
func (f *fakeLeases) grant(slot int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.open[slot] = true
	f.notifyLocked()
}

// revoke takes slot away from its holder, not to be granted again until
// the next grant.
func (f *fakeLeases) revoke(slot int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.open[slot] = false
	if ch := f.lost[slot]; ch != nil {
		close(ch)
	}
	f.notifyLocked()
}

func (f *fakeLeases) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *fakeLeases) counts(slot int) (acquires, released int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.acquires[slot], f.released[slot]
}

// waitBound waits up to 3 s for the SMSC to count n bound connections.
func waitBound(t *testing.T, srv *smsctest.Server, n int) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); srv.Bound() != n; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d binds at the SMSC, want %d", srv.Bound(), n)
		}
	}
}

// TestLeasedBinds: with leases, a bind is open only while its lease is
// held; a lost lease unbinds it, releases the slot and waits for it again.
func TestLeasedBinds(t *testing.T) {
	t.Parallel()
	srv := startServer(t, smsctest.Options{})
	leases := newFakeLeases()
	cfg := testConfig(srv.Addr())
	cfg.Binds, cfg.Leases = 2, leases
	tr := startTransport(t, cfg, newRecorder())

	time.Sleep(100 * time.Millisecond)
	if n := srv.Bound(); n != 0 || tr.Up() {
		t.Fatalf("%d binds (up %v) without any lease", n, tr.Up())
	}
	leases.grant(0)
	waitBound(t, srv, 1)
	leases.grant(1)
	waitBound(t, srv, 2)

	leases.revoke(0)
	waitBound(t, srv, 1)
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if a, r := leases.counts(0); a == 2 && r == 1 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("slot 0 after losing its lease: %d acquires, %d releases; want 2 and 1", a, r)
		}
	}
	if _, err := tr.Send(ctxTimeout(t, 3*time.Second), gsmPart(t, "+14155550100", "on the bind still leased")); err != nil {
		t.Fatalf("Send on slot 1: %v", err)
	}
	leases.grant(0)
	waitBound(t, srv, 2)
	if a, r := leases.counts(1); a != 1 || r != 0 {
		t.Errorf("slot 1, never lost: %d acquires, %d releases", a, r)
	}
}

// TestLeasedBindRate: with leases, each bind submits at most rate/binds a
// second: holding one of two binds of a 20/s account, a gateway submits 10
// a second, so 11 submits take a second (the first goes at once). Without
// leases the transport does not pace them (the dispatcher does).
func TestLeasedBindRate(t *testing.T) {
	t.Parallel()
	run := func(leased bool) time.Duration {
		srv := startServer(t, smsctest.Options{})
		cfg := testConfig(srv.Addr())
		cfg.Binds, cfg.Rate = 2, 20
		if leased {
			leases := newFakeLeases()
			leases.grant(0)
			cfg.Leases = leases
		}
		tr := startTransport(t, cfg, newRecorder())
		waitUp(t, tr)
		start := time.Now()
		var wg sync.WaitGroup
		for i := range 11 {
			wg.Go(func() {
				if _, err := tr.Send(ctxTimeout(t, 5*time.Second), gsmPart(t, "+14155550100", fmt.Sprint("part ", i))); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		return time.Since(start)
	}
	if d := run(true); d < 950*time.Millisecond || d > 3*time.Second {
		t.Errorf("11 submits on one leased bind of a 20/s account with 2 binds took %s, want about 1s (10/s)", d)
	}
	if d := run(false); d > 500*time.Millisecond {
		t.Errorf("11 submits without leases took %s: the transport paced them", d)
	}
}

// TestLeasedReceiptFromAnotherGateway: two gateways share an account, one
// bind each; the SMSC sends the receipt for one's submit over the other's
// bind. That one hands it on at once under the id submit_sm_resp gave,
// for the shared store to match, instead of waiting response_timeout for
// a submit of its own.
func TestLeasedReceiptFromAnotherGateway(t *testing.T) {
	t.Parallel()
	srv := startServer(t, smsctest.Options{ReceiptDelay: 10 * time.Millisecond, ReceiptsElsewhere: true})
	gateway := func(slot int) (*Transport, *recorder) {
		leases := newFakeLeases()
		leases.grant(slot)
		cfg := testConfig(srv.Addr())
		cfg.Binds, cfg.Leases, cfg.ResponseTimeout = 2, leases, time.Minute
		rec := newRecorder()
		return startTransport(t, cfg, rec), rec
	}
	a, recA := gateway(0)
	_, recB := gateway(1)
	waitBound(t, srv, 2)
	part := gsmPart(t, "+14155550100", "receipt elsewhere")
	part.Receipt = true
	id, err := a.Send(ctxTimeout(t, 5*time.Second), part)
	if err != nil {
		t.Fatal(err)
	}
	recB.waitFor(t, 10*time.Second, func(r *recorder) bool { return len(r.receipts) == 1 })
	recB.mu.Lock()
	got := recB.receipts[0]
	recB.mu.Unlock()
	if got.MessageID != id || got.State != transport.StateDelivered || got.Transport != "smsc" {
		t.Errorf("B's receipt %+v; want A's id %s, delivered", got, id)
	}
	recA.mu.Lock()
	defer recA.mu.Unlock()
	if len(recA.receipts) != 0 {
		t.Errorf("A got %d receipts; the SMSC sent it over B's bind", len(recA.receipts))
	}
}
