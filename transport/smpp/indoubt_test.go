package smpp

import (
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport"
	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

// lateConfig answers in 100 ms or is in doubt; in doubt it waits 2 s.
func lateConfig(addr string) Config {
	cfg := testConfig(addr)
	cfg.ResponseTimeout, cfg.InDoubtLimit = 100*time.Millisecond, 2*time.Second
	return cfg
}

// sendEach sends every part once, in parallel, and returns each one's id
// or error.
func sendEach(t *testing.T, tr *Transport, parts []*transport.Part) (ids []string, errs []error) {
	ids, errs = make([]string, len(parts)), make([]error, len(parts))
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Go(func() { ids[i], errs[i] = tr.Send(ctxTimeout(t, 10*time.Second), p) })
	}
	wg.Wait()
	return ids, errs
}

func receiptParts(t *testing.T, n int) []*transport.Part {
	parts := make([]*transport.Part, n)
	for i := range parts {
		parts[i] = gsmPart(t, "+14155550100", fmt.Sprintf("late %d", i))
		parts[i].Key = fmt.Sprintf("M/0/%d", i)
		parts[i].Receipt = true
	}
	return parts
}

func checkNoErrors(t *testing.T, errs []error) {
	t.Helper()
	for i, err := range errs {
		if err != nil {
			t.Errorf("part %d: %v", i, err)
		}
	}
}

// checkReceiptsMatch waits for a receipt per id and checks each id has one.
func checkReceiptsMatch(t *testing.T, rec *recorder, ids []string) {
	t.Helper()
	rec.waitFor(t, 5*time.Second, func(r *recorder) bool { return len(r.receipts) == len(ids) })
	matched := map[string]bool{}
	for _, r := range rec.receipts {
		matched[r.MessageID] = true
	}
	for i, id := range ids {
		if !matched[id] {
			t.Errorf("part %d: no receipt for its id %q", i, id)
		}
	}
}

// A submit answered after 1, 3 and 10 times the response timeout, within
// the in-doubt limit, is waited for on its live bind: one submit per part
// at the SMSC, its late id returned, its receipt matched.
func TestLateResponseWaitedFor(t *testing.T) {
	t.Parallel()
	for _, factor := range []int{1, 3, 10} {
		t.Run(fmt.Sprintf("%dx", factor), func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, smsctest.Options{ReceiptDelay: 20 * time.Millisecond})
			cfg := lateConfig(srv.Addr())
			srv.SetRespDelay(time.Duration(factor)*cfg.ResponseTimeout + cfg.ResponseTimeout/4)
			rec := newRecorder()
			tr := startTransport(t, cfg, rec)
			waitUp(t, tr)
			parts := receiptParts(t, 5)
			ids, errs := sendEach(t, tr, parts)
			checkNoErrors(t, errs)
			perText := map[string]int{}
			for _, sub := range srv.Submits() {
				perText[sub.Text()]++
			}
			for _, p := range parts {
				if perText[p.Text] != 1 {
					t.Errorf("%q submitted %d times, want once", p.Text, perText[p.Text])
				}
			}
			checkReceiptsMatch(t, rec, ids)
		})
	}
}

// The same against the npm SMPP peer.
func TestInteropNPMLateResponse(t *testing.T) {
	for _, factor := range []int{1, 3, 10} {
		t.Run(fmt.Sprintf("%dx", factor), func(t *testing.T) {
			n := startNPM(t)
			cfg := lateConfig(n.addr)
			delay := time.Duration(factor)*cfg.ResponseTimeout + cfg.ResponseTimeout/4
			n.command(t, fmt.Sprintf(`{"cmd":"delay","ms":%d}`, delay.Milliseconds()))
			rec := newRecorder()
			tr := startTransport(t, cfg, rec)
			waitUp(t, tr)
			parts := receiptParts(t, 5)
			ids, errs := sendEach(t, tr, parts)
			checkNoErrors(t, errs)
			took, _ := n.received()
			for _, p := range parts {
				if got := took[hex.EncodeToString(p.Payload)]; got != 1 {
					t.Errorf("%q taken %d times by the SMSC, want once", p.Text, got)
				}
			}
			checkReceiptsMatch(t, rec, ids)
		})
	}
}

// submitRecorder is a recorder that also hears about submits in doubt.
type submitRecorder struct {
	*recorder
	inDoubt []string          // part keys
	late    map[string]string // part key → id
}

func (r *submitRecorder) SubmitInDoubt(_, key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inDoubt = append(r.inDoubt, key)
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *submitRecorder) LateSubmit(_, key, id string, done func(error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.late[key] = id
	close(r.changed)
	r.changed = make(chan struct{})
	done(nil)
}

// Past the in-doubt limit Send gives up with an in-doubt error, and frees
// its window slot; the answer that comes later is still handed on with
// the part's key and the SMSC's id.
func TestLateResponseAfterLimitHandedOn(t *testing.T) {
	t.Parallel()
	srv := startServer(t, smsctest.Options{})
	cfg := testConfig(srv.Addr())
	cfg.Window, cfg.ResponseTimeout, cfg.InDoubtLimit = 1, 100*time.Millisecond, 300*time.Millisecond
	srv.SetRespDelay(time.Second)
	rec := &submitRecorder{recorder: newRecorder(), late: map[string]string{}}
	tr := startTransport(t, cfg, rec)
	waitUp(t, tr)
	p := receiptParts(t, 1)[0]
	start := time.Now()
	_, err := tr.Send(ctxTimeout(t, 5*time.Second), p)
	if !transport.IsInDoubt(err) || transport.IsPermanent(err) {
		t.Fatalf("Send past the in-doubt limit: %v, want in doubt", err)
	}
	if d := time.Since(start); d < cfg.InDoubtLimit {
		t.Errorf("gave up after %s, before the in-doubt limit", d)
	}
	if binds, inFlight := bindsInFlight(tr); binds != 1 || inFlight != 0 {
		t.Errorf("%d binds with %d submits in flight after giving up; want the bind up and its slot free", binds, inFlight)
	}
	rec.waitFor(t, 5*time.Second, func(*recorder) bool { return rec.late[p.Key] != "" })
	subs := srv.Submits()
	if len(subs) != 1 || rec.late[p.Key] != subs[0].MessageID {
		t.Errorf("late id %q for %s, submits %+v", rec.late[p.Key], p.Key, subs)
	}
	if len(rec.inDoubt) != 1 || rec.inDoubt[0] != p.Key {
		t.Errorf("in doubt %v, want [%s]", rec.inDoubt, p.Key)
	}
}

// Submits waiting for a late answer keep their window slots: a slow SMSC
// never has more unanswered submits than the window, however long past the
// response timeout they are.
func TestSlowSMSCNotFlooded(t *testing.T) {
	t.Parallel()
	srv := startServer(t, smsctest.Options{})
	cfg := lateConfig(srv.Addr())
	cfg.Window = 2
	srv.SetRespDelay(10 * cfg.ResponseTimeout)
	tr := startTransport(t, cfg, newRecorder())
	waitUp(t, tr)
	parts := receiptParts(t, 6)
	done := make(chan []error, 1)
	go func() {
		_, errs := sendEach(t, tr, parts)
		done <- errs
	}()
	// Half-way to the first answers, five response timeouts on: still
	// only the first window is out.
	time.Sleep(5 * cfg.ResponseTimeout)
	if n := len(srv.Submits()); n != cfg.Window {
		t.Errorf("%d submits at the SMSC before any answer, window %d", n, cfg.Window)
	}
	checkNoErrors(t, <-done)
	if n := len(srv.Submits()); n != len(parts) {
		t.Errorf("%d submits for %d parts", n, len(parts))
	}
}

// bindsInFlight counts the binds that can submit and their submits in flight.
func bindsInFlight(tr *Transport) (binds, inFlight int) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for _, s := range tr.sessions {
		inFlight += len(s.slots)
	}
	return len(tr.sessions), inFlight
}
