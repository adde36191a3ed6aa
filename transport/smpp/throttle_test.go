package smpp

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport"
	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

func TestThrottleSteps(t *testing.T) {
	t.Parallel()
	var th throttle
	t0 := time.Now()
	if d := th.hit(t0, t0); d != throttleMin {
		t.Fatalf("first throttle: pause %s, want %s", d, throttleMin)
	}
	// Submits sent before the pause began were in flight: no new step.
	if d := th.hit(t0.Add(-time.Millisecond), t0.Add(time.Millisecond)); d != 0 {
		t.Errorf("in-flight throttle lengthened the pause by %s", d)
	}
	t1 := t0.Add(throttleMin)
	if d := th.hit(t1, t1); d != 2*throttleMin {
		t.Errorf("second throttle: pause %s, want %s", d, 2*throttleMin)
	}
	for range 20 {
		t1 = th.pausedUntil()
		th.hit(t1, t1)
	}
	if got := th.pausedUntil().Sub(t1); got != throttleMax {
		t.Errorf("pause after a long storm %s, want the cap %s", got, throttleMax)
	}
	for range 10 {
		th.ok()
	}
	t2 := th.pausedUntil()
	if d := th.hit(t2, t2); d != throttleMin {
		t.Errorf("after successes: pause %s, want %s", d, throttleMin)
	}
}

// TestThrottleStorm: senders that retry at once (no dispatcher backoff)
// against an SMSC answering 0x58 or 0x14 to everything make few submits,
// not a hot loop; once the storm ends every part goes through.
func TestThrottleStorm(t *testing.T) {
	t.Parallel()
	for _, status := range []uint32{0x58, 0x14} {
		srv := startServer(t, smsctest.Options{})
		cfg := testConfig(srv.Addr())
		cfg.Window = 5
		tr := startTransport(t, cfg, newRecorder())
		waitUp(t, tr)
		srv.SetReject(status)
		time.AfterFunc(time.Second, func() { srv.SetReject(0) })

		var wg sync.WaitGroup
		var accepted atomic.Int32
		ctx := ctxTimeout(t, 15*time.Second)
		for range 5 {
			wg.Go(func() {
				for ctx.Err() == nil {
					_, err := tr.Send(ctx, gsmPart(t, "+14155550100", "x"))
					if err == nil {
						accepted.Add(1)
						return
					}
					if transport.IsPermanent(err) {
						t.Errorf("0x%X: permanent %v", status, err)
						return
					}
				}
			})
		}
		wg.Wait()
		refused := 0
		for _, s := range srv.Submits() {
			if s.Status != 0 {
				refused++
			}
		}
		// Pauses of 0.1, 0.2, 0.4, 0.8 s in the storm's second: a few
		// windows' worth, where a hot loop would make thousands.
		if refused < 5 || refused > 40 || accepted.Load() != 5 {
			t.Errorf("0x%X: %d refused submits during a 1s storm, %d accepted; want 5..40 and 5", status, refused, accepted.Load())
		}
	}
}

// TestThrottleOtherBindsGoOn: a paused bind leaves submits to the others.
func TestThrottleOtherBindsGoOn(t *testing.T) {
	t.Parallel()
	srv := startServer(t, smsctest.Options{})
	cfg := testConfig(srv.Addr())
	cfg.Binds = 2
	tr := startTransport(t, cfg, newRecorder())
	for i := 0; srv.Bound() < 2; i++ {
		if i > 300 {
			t.Fatal("two binds not up within 3s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	waitUp(t, tr)
	sessions := func() int {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		return len(tr.sessions)
	}
	for i := 0; sessions() < 2; i++ {
		if i > 300 {
			t.Fatal("two sessions not registered within 3s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	srv.Throttle(1)
	if _, err := tr.Send(context.Background(), gsmPart(t, "+14155550100", "x")); err == nil {
		t.Fatal("throttled submit succeeded")
	}
	start := time.Now()
	for range 3 {
		if _, err := tr.Send(ctxTimeout(t, 3*time.Second), gsmPart(t, "+14155550100", "x")); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d >= throttleMin {
		t.Errorf("submits waited %s for the paused bind; the other bind was free", d)
	}
}
