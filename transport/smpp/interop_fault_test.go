package smpp

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport"
)

// faultConfig has short timers so that fault cases take seconds.
func faultConfig(addr string, window int) Config {
	cfg := testConfig(addr)
	cfg.Window, cfg.ResponseTimeout, cfg.EnquireLink = window, 400*time.Millisecond, 200*time.Millisecond
	return cfg
}

// received counts, per short message (hex), the submit_sm the npm SMSC
// took (accepted, or held unanswered: it may have gone on to the phone)
// and those it accepted. Refused submits (throttled) count in neither.
func (n *npmSMSC) received() (took, accepted map[string]int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	took, accepted = map[string]int{}, map[string]int{}
	for _, ev := range n.all {
		ok := ev.Event == "submit" && ev.Status == 0
		if ok || (ev.Event == "held" && ev.Kind == "submit_sm") {
			took[ev.ShortMessage]++
		}
		if ok {
			accepted[ev.ShortMessage]++
		}
	}
	return took, accepted
}

func (n *npmSMSC) count(event string) (all, ok int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, ev := range n.all {
		if ev.Event == event {
			all++
			if ev.OK {
				ok++
			}
		}
	}
	return all, ok
}

// sendAll sends parts as the dispatcher would: each retried after a
// temporary error (in doubt or not) until accepted, until ctx ends. It
// returns how many were accepted and how many failed for good.
func sendAll(ctx context.Context, tr *Transport, parts []*transport.Part) (accepted, failed int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, p := range parts {
		wg.Go(func() {
			for ctx.Err() == nil {
				_, err := tr.Send(ctx, p)
				if err == nil || transport.IsPermanent(err) {
					mu.Lock()
					if err == nil {
						accepted++
					} else {
						failed++
					}
					mu.Unlock()
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	return accepted, failed
}

func numberedParts(t *testing.T, n int) []*transport.Part {
	parts := make([]*transport.Part, n)
	for i := range parts {
		parts[i] = gsmPart(t, "+14155550100", fmt.Sprintf("part %03d", i))
	}
	return parts
}

// checkArrived checks that the SMSC accepted every part at least once and
// that duplicates (held submits included) are no more than bound.
func checkArrived(t *testing.T, n *npmSMSC, parts []*transport.Part, bound int) {
	t.Helper()
	took, accepted := n.received()
	dups := 0
	for _, p := range parts {
		k := hex.EncodeToString(p.Payload)
		if accepted[k] == 0 {
			t.Errorf("%q never accepted by the SMSC", p.Text)
		}
		dups += max(took[k]-1, 0)
	}
	if dups > bound {
		t.Errorf("%d duplicates, more than the bound %d", dups, bound)
	}
	t.Logf("%d parts, %d duplicates (bound %d)", len(parts), dups, bound)
}

// TestInteropNPMFaults scripts the npm SMSC into the faults an operator's
// SMSC shows, and checks after each that nothing accepted was lost.
func TestInteropNPMFaults(t *testing.T) {
	t.Parallel()
	t.Run("throttle storm", func(t *testing.T) {
		t.Parallel()
		n := startNPM(t)
		tr := startTransport(t, faultConfig(n.addr, 5), newRecorder())
		waitUp(t, tr)
		n.command(t, `{"cmd":"throttle","n":20}`)
		parts := numberedParts(t, 10)
		ctx := ctxTimeout(t, 20*time.Second)
		start := time.Now()
		if ok, failed := sendAll(ctx, tr, parts); ok != len(parts) || failed != 0 {
			t.Fatalf("%d accepted, %d failed of %d", ok, failed, len(parts))
		}
		// Four windows throttled: pauses of 0.1, 0.2 and 0.4 s at least
		// between them, where retrying at once would take milliseconds.
		if d := time.Since(start); d < 700*time.Millisecond {
			t.Errorf("a storm of 20 throttles was over in %s: no pause", d)
		}
		checkArrived(t, n, parts, 0) // a throttled submit is not a duplicate
	})
	t.Run("permanent error", func(t *testing.T) {
		t.Parallel()
		n := startNPM(t)
		tr := startTransport(t, faultConfig(n.addr, 5), newRecorder())
		waitUp(t, tr)
		n.command(t, `{"cmd":"reject","status":11}`)
		start := time.Now()
		ok, failed := sendAll(ctxTimeout(t, 5*time.Second), tr, numberedParts(t, 3))
		if ok != 0 || failed != 3 || time.Since(start) > time.Second {
			t.Errorf("%d accepted, %d failed in %s; want 0, 3 at once", ok, failed, time.Since(start))
		}
	})
	t.Run("bind refused", func(t *testing.T) {
		t.Parallel()
		n := startNPM(t, "SMSC_SYSTEM_ID=user", "SMSC_PASSWORD=pw")
		n.command(t, `{"cmd":"refuse","n":2,"status":13}`)
		tr := startTransport(t, faultConfig(n.addr, 5), newRecorder())
		parts := numberedParts(t, 3)
		if ok, _ := sendAll(ctxTimeout(t, 10*time.Second), tr, parts); ok != 3 {
			t.Fatalf("%d of 3 accepted after the binds were let in", ok)
		}
		if all, ok := n.count("bind"); all != 3 || ok != 1 {
			t.Errorf("%d binds, %d accepted: want 2 refused then 1", all, ok)
		}
		checkArrived(t, n, parts, 0)
	})
	t.Run("link dropped mid-window", func(t *testing.T) {
		t.Parallel()
		const window = 5
		n := startNPM(t)
		tr := startTransport(t, faultConfig(n.addr, window), newRecorder())
		waitUp(t, tr)
		n.command(t, `{"cmd":"hold","on":true}`)
		parts := numberedParts(t, 12)
		ctx := ctxTimeout(t, 20*time.Second)
		done := make(chan [2]int, 1)
		go func() { a, f := sendAll(ctx, tr, parts); done <- [2]int{a, f} }()
		waitEvents(t, n, "held", window)
		// The held submits stay unanswered; the link goes with them.
		n.command(t, `{"cmd":"hold","on":false}`)
		n.command(t, `{"cmd":"drop"}`)
		if r := <-done; r[0] != len(parts) {
			t.Fatalf("%d of %d accepted", r[0], len(parts))
		}
		checkArrived(t, n, parts, window)
	})
	t.Run("SMSC stops answering", func(t *testing.T) {
		t.Parallel()
		const window = 4
		n := startNPM(t)
		tr := startTransport(t, faultConfig(n.addr, window), newRecorder())
		waitUp(t, tr)
		n.command(t, `{"cmd":"silent","on":true}`)
		parts := numberedParts(t, 8)
		ctx := ctxTimeout(t, 20*time.Second)
		done := make(chan [2]int, 1)
		go func() { a, f := sendAll(ctx, tr, parts); done <- [2]int{a, f} }()
		waitEvents(t, n, "held", window)
		// enquire_link goes unanswered: the link is declared dead and the
		// rebind is held too, until the SMSC answers again.
		time.Sleep(time.Second)
		n.command(t, `{"cmd":"silent","on":false}`)
		if r := <-done; r[0] != len(parts) {
			t.Fatalf("%d of %d accepted", r[0], len(parts))
		}
		checkArrived(t, n, parts, window)
		if all, _ := n.count("bind"); all < 2 {
			t.Errorf("%d accepted binds: the dead link was not rebound", all)
		}
	})
}

func waitEvents(t *testing.T, n *npmSMSC, kind string, want int) {
	t.Helper()
	for i := 0; ; i++ {
		if all, _ := n.count(kind); all >= want {
			return
		}
		if i > 500 {
			t.Fatalf("fewer than %d %q events in 5s", want, kind)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestInteropNPMInbound: receipts in every form and MO, single and
// concatenated, as the npm library encodes them.
func TestInteropNPMInbound(t *testing.T) {
	t.Parallel()
	for _, env := range []string{"SMSC_RECEIPT_TEXT_ONLY=1", "SMSC_RECEIPT_ID_DECIMAL=1", "SMSC_RECEIPT_ID_DECIMAL=0"} {
		t.Run("receipt/"+env, func(t *testing.T) {
			t.Parallel()
			n := startNPM(t, env)
			rec := newRecorder()
			tr := startTransport(t, testConfig(n.addr), rec)
			waitUp(t, tr)
			ids := map[string]bool{}
			for i := range 3 {
				p := gsmPart(t, "+14155550100", fmt.Sprint("receipt ", i))
				p.Receipt = true
				id, err := tr.Send(ctxTimeout(t, 5*time.Second), p)
				if err != nil {
					t.Fatal(err)
				}
				ids[id] = true
			}
			rec.waitFor(t, 5*time.Second, func(r *recorder) bool { return len(r.receipts) == 3 })
			for _, r := range rec.receipts {
				if !ids[r.MessageID] || r.State != transport.StateDelivered {
					t.Errorf("receipt %+v matches no id of %v", r, ids)
				}
			}
		})
	}
	long := strings.Repeat("Long reply with {braces} and €. ", 10)
	uni := strings.Repeat("Ответ с телефона 👋 ", 8)
	cases := []struct{ name, cmd, want string }{
		{"single gsm7", `{"cmd":"mo","from":"+14155550199","to":"12345","parts":["Hi @ home [ok]"],"coding":"gsm7"}`, "Hi @ home [ok]"},
		{"single latin1", `{"cmd":"mo","from":"+14155550199","to":"12345","parts":["café"],"coding":"latin1"}`, "café"},
		{"udh gsm7", moCmd(long, 150, "udh", "gsm7"), long},
		{"sar ucs2", moCmd(uni, 60, "sar", "ucs2"), uni},
		{"udh ucs2", moCmd(uni, 60, "udh", "ucs2"), uni},
	}
	for _, c := range cases {
		t.Run("mo/"+c.name, func(t *testing.T) {
			t.Parallel()
			n := startNPM(t)
			rec := newRecorder()
			tr := startTransport(t, testConfig(n.addr), rec)
			waitUp(t, tr)
			n.command(t, c.cmd)
			rec.waitFor(t, 5*time.Second, func(r *recorder) bool { return len(r.inbound) == 1 })
			if in := rec.inbound[0]; in.From != "+14155550199" || in.To != "12345" || in.Text != c.want {
				t.Errorf("inbound %+v, want text %q", in, c.want)
			}
		})
	}
}

// moCmd is an npm SMSC command sending text as concatenated MO, cut every
// size characters (whole characters, so no part splits a surrogate pair
// in the JSON).
func moCmd(text string, size int, concat, coding string) string {
	var parts []string
	rs := []rune(text)
	for len(rs) > 0 {
		k := min(size, len(rs))
		parts = append(parts, fmt.Sprintf("%q", string(rs[:k])))
		rs = rs[k:]
	}
	return fmt.Sprintf(`{"cmd":"mo","from":"+14155550199","to":"12345","parts":[%s],"concat":%q,"coding":%q,"ref":77}`,
		strings.Join(parts, ","), concat, coding)
}
