package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/store"
)

// Instance is one gateway instance of a store that several share.
type Instance struct {
	Backend
	// Kill stops the instance as a crash does: no clean Close, nothing
	// said to the others, its liveness record left behind.
	Kill func()
}

// OpenInstance opens the shared store as the instance named name.
type OpenInstance func(name string) (Instance, error)

// RunShared checks the promises of a store that gateway instances share:
// each part is sent by one instance, what one records the others find,
// the work of an instance killed is taken over once it has been gone for
// lease, and each report, mail and callback is handled by one instance.
// Each call of fresh is a new, empty shared store.
func RunShared(t *testing.T, lease time.Duration, fresh func(t *testing.T) OpenInstance) {
	tests := []struct {
		name string
		fn   func(*shared)
	}{
		{"BeginOnce", testBeginOnce},
		{"LookupAcross", testLookupAcross},
		{"Takeover", testTakeover},
		{"RestartRecovers", testRestartRecovers},
		{"ReportOnce", testReportOnce},
		{"MailOnce", testMailOnce},
		{"ReportMailOnce", testReportMailOnce},
		{"TakeoverReports", testTakeoverReports},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sh := &shared{T: t, lease: lease, open: fresh(t)}
			sh.a, sh.b = sh.instance("a"), sh.instance("b")
			defer func() {
				_ = sh.a.Close()
				_ = sh.b.Close()
			}()
			tc.fn(sh)
		})
	}
}

// shared is one test's two instances, a and b.
type shared struct {
	*testing.T
	lease time.Duration
	open  OpenInstance
	a, b  Instance
}

func (sh *shared) instance(name string) Instance {
	sh.Helper()
	in, err := sh.open(name)
	if err != nil {
		sh.Fatalf("open instance %s: %v", name, err)
	}
	return in
}

func (sh *shared) ok(err error) {
	sh.Helper()
	if err != nil {
		sh.Fatal(err)
	}
}

// eventually polls cond until it holds, for at most within.
func (sh *shared) eventually(within time.Duration, what string, cond func() bool) {
	sh.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			sh.Fatalf("after %v: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sees waits until in has message id, as an instance that did not write it
// learns of it.
func (sh *shared) sees(in Backend, id string) {
	sh.Helper()
	sh.eventually(5*time.Second, "message "+id+" not seen", func() bool {
		_, err := in.Message(id)
		return err == nil
	})
}

func partOn(in Backend, k store.PartKey) (store.Part, error) {
	m, err := in.Message(k.Msg)
	if err != nil {
		return store.Part{}, err
	}
	return m.Recipients[k.Rcpt].Parts[k.Part], nil
}

// testBeginOnce: a part begun by one instance is skipped by the other's
// Begin, even while its view still shows the part queued.
func testBeginOnce(sh *shared) {
	sh.ok(sh.a.Enqueue(ctx, message("m", 1, 2, t0, priority.Normal)))
	sh.sees(sh.b, "m")
	k := pk("m", 0, 0)
	skipped, err := sh.a.Begin(ctx, []store.PartKey{k}, "smsc", t0)
	sh.ok(err)
	if len(skipped) != 0 {
		sh.Fatalf("a's Begin skipped %v", skipped)
	}
	skipped, err = sh.b.Begin(ctx, []store.PartKey{k, pk("m", 0, 1)}, "smsc", t0)
	sh.ok(err)
	if fmt.Sprint(skipped) != fmt.Sprint([]store.PartKey{k}) {
		sh.Errorf("b's Begin skipped %v, want %v: the part a had begun", skipped, k)
	}
	for _, in := range []Backend{sh.a, sh.b} {
		sh.eventually(5*time.Second, "both parts submitting on both instances", func() bool {
			st, err := in.Stats()
			return err == nil && st[store.PartSubmitting] == 2
		})
	}
}

// testLookupAcross: an id submitted on one instance is found by the other
// at once, as a receipt arriving there needs.
func testLookupAcross(sh *shared) {
	sh.ok(sh.a.Enqueue(ctx, message("m", 1, 1, t0, priority.Normal)))
	k := pk("m", 0, 0)
	_, err := sh.a.Begin(ctx, []store.PartKey{k}, "smsc", t0)
	sh.ok(err)
	sh.ok(sh.a.Submitted(ctx, k, "net-1", t0))
	got, ok, err := sh.b.Lookup("smsc", "net-1")
	sh.ok(err)
	if !ok || got != k {
		sh.Fatalf("b's Lookup right after a's Submitted = %v, %v; want %v", got, ok, k)
	}
	done, err := sh.b.FinishReceipt(ctx, k, store.PartDelivered, "DELIVRD", "stat:DELIVRD", t0)
	sh.ok(err)
	if !done {
		sh.Error("b's FinishReceipt did not make the recipient final")
	}
	sh.eventually(5*time.Second, "a sees the part delivered", func() bool {
		p, err := partOn(sh.a, k)
		return err == nil && p.State == store.PartDelivered
	})
}

// testTakeover: a part an instance held submitting when it was killed
// stays its own for the lease, then the other takes it over in doubt and
// can send it; the killed instance's liveness record, never deleted,
// does not keep it alive.
func testTakeover(sh *shared) {
	sh.ok(sh.a.Enqueue(ctx, message("m", 1, 1, t0, priority.Normal)))
	k := pk("m", 0, 0)
	_, err := sh.a.Begin(ctx, []store.PartKey{k}, "smsc", t0)
	sh.ok(err)
	sh.eventually(5*time.Second, "b sees the part submitting", func() bool {
		p, err := partOn(sh.b, k)
		return err == nil && p.State == store.PartSubmitting
	})
	sh.a.Kill()
	// The lease runs from a's last heartbeat, a third of a lease at most
	// before the kill.
	time.Sleep(sh.lease / 2)
	if p, err := partOn(sh.b, k); err != nil || p.State != store.PartSubmitting {
		sh.Fatalf("half a lease after the kill the part is %v (%v); want still submitting", p.State, err)
	}
	sh.eventually(4*sh.lease, "b takes the part over", func() bool {
		p, err := partOn(sh.b, k)
		return err == nil && p.State == store.PartQueued
	})
	p, err := partOn(sh.b, k)
	sh.ok(err)
	if p.InDoubt != 1 || p.Attempts != 1 {
		sh.Errorf("part taken over: InDoubt %d, Attempts %d; want 1, 1", p.InDoubt, p.Attempts)
	}
	skipped, err := sh.b.Begin(ctx, []store.PartKey{k}, "smsc", t0)
	sh.ok(err)
	if len(skipped) != 0 {
		sh.Errorf("b cannot begin the part it took over: skipped %v", skipped)
	}
}

// testReportOnce: each final recipient is listed by Unreported of the
// instance that made it final, and by no other while that one lives.
func testReportOnce(sh *shared) {
	sh.ok(sh.a.Enqueue(ctx, message("m", 2, 1, t0, priority.Normal)))
	sh.sees(sh.b, "m")
	_, err := sh.a.Finish(ctx, pk("m", 0, 0), store.PartFailed, "no route", t0)
	sh.ok(err)
	_, err = sh.b.Finish(ctx, pk("m", 1, 0), store.PartDelivered, "delivered", t0)
	sh.ok(err)
	for _, in := range []Backend{sh.a, sh.b} {
		sh.eventually(5*time.Second, "both recipients final everywhere", func() bool {
			st, err := in.Stats()
			return err == nil && st[store.PartFailed] == 1 && st[store.PartDelivered] == 1
		})
	}
	ua, err := sh.a.Unreported(10)
	sh.ok(err)
	ub, err := sh.b.Unreported(10)
	sh.ok(err)
	if fmt.Sprint(ua) != fmt.Sprint([]store.RcptKey{rk("m", 0)}) || fmt.Sprint(ub) != fmt.Sprint([]store.RcptKey{rk("m", 1)}) {
		sh.Errorf("Unreported: a %v, b %v; want each the recipient it made final", ua, ub)
	}
}

// testMailOnce: a mail in the outbox is handed to the instance that
// queued it only; a callback to the instance that asks for it first, and
// after a retry to whichever asks next.
func testMailOnce(sh *shared) {
	sh.ok(sh.a.QueueMail(ctx, &store.OutMail{ID: "o1", To: []string{"alice@example.com"}, Data: []byte("x"), Created: t0}, store.MailFor{}))
	sh.ok(sh.a.QueueCallbacks(ctx, []store.Callback{{ID: "c1", Owner: "smpp:esme", Data: []byte("mo"), Created: t0}}))
	sh.ok(sh.b.QueueMail(ctx, &store.OutMail{ID: "o2", To: []string{"bob@example.com"}, Data: []byte("y"), Created: t0}, store.MailFor{}))
	// The watcher brings changes in order: b seeing this message has seen
	// a's mail and callback.
	sh.ok(sh.a.Enqueue(ctx, message("barrier", 1, 1, t0, priority.Normal)))
	sh.sees(sh.b, "barrier")
	now := t0.Add(time.Minute)
	for _, c := range []struct {
		name string
		in   Backend
		want []string
	}{{"a", sh.a, []string{"o1"}}, {"b", sh.b, []string{"o2"}}} {
		due, err := c.in.DueMail(now, 10)
		sh.ok(err)
		var ids []string
		for _, m := range due {
			ids = append(ids, m.ID)
		}
		if !slices.Equal(ids, c.want) {
			sh.Errorf("DueMail on %s = %v, want %v", c.name, ids, c.want)
		}
	}
	// A callback goes to the client wherever it is bound: the first
	// instance that asks for it holds it until it is retried.
	callbacks := func(name string, in Backend, at time.Time, want int) {
		sh.Helper()
		if cbs, err := in.DueCallbacks("smpp:esme", at, 10); err != nil || len(cbs) != want {
			sh.Errorf("%s's DueCallbacks at %v = %+v, %v; want %d", name, at, cbs, err, want)
		}
	}
	callbacks("b", sh.b, now, 1)
	callbacks("a", sh.a, now, 0)
	sh.ok(sh.b.CallbackRetry(ctx, "c1", now.Add(time.Minute), "no deliver_sm_resp"))
	sh.ok(sh.b.Enqueue(ctx, message("barrier2", 1, 1, t0, priority.Normal)))
	sh.sees(sh.a, "barrier2")
	if next, ok, err := sh.a.NextCallback("smpp:esme"); err != nil || !ok || !next.Equal(now.Add(time.Minute)) {
		sh.Errorf("a's NextCallback after b's retry = %v, %v, %v; want %v", next, ok, err, now.Add(time.Minute))
	}
	callbacks("a", sh.a, now.Add(time.Minute), 1)
	callbacks("b", sh.b, now.Add(time.Minute), 0)
}

// testTakeoverReports: what a killed instance had to report, mail and
// call back passes to the other once it has been gone for the lease.
func testTakeoverReports(sh *shared) {
	sh.ok(sh.a.Enqueue(ctx, message("m", 1, 1, t0, priority.Normal)))
	_, err := sh.a.Finish(ctx, pk("m", 0, 0), store.PartFailed, "no route", t0)
	sh.ok(err)
	sh.ok(sh.a.QueueMail(ctx, &store.OutMail{ID: "o1", To: []string{"alice@example.com"}, Data: []byte("x"), Created: t0}, store.MailFor{}))
	sh.ok(sh.a.QueueCallbacks(ctx, []store.Callback{{ID: "c1", Owner: "smpp:esme", Created: t0}}))
	sh.ok(sh.a.Enqueue(ctx, message("barrier", 1, 1, t0, priority.Normal)))
	sh.sees(sh.b, "barrier")
	now := t0.Add(time.Minute)
	if u, err := sh.b.Unreported(10); err != nil || len(u) != 0 {
		sh.Fatalf("b's Unreported while a lives = %v, %v", u, err)
	}
	sh.a.Kill()
	sh.eventually(4*sh.lease, "b takes over a's report", func() bool {
		u, err := sh.b.Unreported(10)
		return err == nil && fmt.Sprint(u) == fmt.Sprint([]store.RcptKey{rk("m", 0)})
	})
	due, err := sh.b.DueMail(now, 10)
	sh.ok(err)
	if len(due) != 1 || due[0].ID != "o1" {
		sh.Errorf("b's DueMail after a was killed = %+v, want o1", due)
	}
	cbs, err := sh.b.DueCallbacks("smpp:esme", now, 10)
	sh.ok(err)
	if len(cbs) != 1 || cbs[0].ID != "c1" {
		sh.Errorf("b's DueCallbacks after a was killed = %+v, want c1", cbs)
	}
	// b holds them now: a second instance opened as a again does not
	// take them back.
	sh.a = sh.instance("a")
	time.Sleep(200 * time.Millisecond)
	if u, err := sh.a.Unreported(10); err != nil || len(u) != 0 {
		sh.Errorf("a, back, lists %v, %v: b holds that report", u, err)
	}
}

// testReportMailOnce: two instances that both queue a recipient's report
// (one took it over while the other was slow) leave one mail in the
// outbox; once it is sent, a third attempt queues none.
func testReportMailOnce(sh *shared) {
	sh.ok(sh.a.Enqueue(ctx, message("m", 1, 1, t0, priority.Normal)))
	_, err := sh.a.Finish(ctx, pk("m", 0, 0), store.PartFailed, "no route", t0)
	sh.ok(err)
	sh.eventually(5*time.Second, "b sees the recipient final", func() bool {
		st, err := sh.b.Stats()
		return err == nil && st[store.PartFailed] == 1
	})
	report := rk("m", 0)
	mail := func(id string) *store.OutMail {
		return &store.OutMail{ID: id, To: []string{"alice@example.com"}, Data: []byte("report"), Created: t0}
	}
	sh.ok(sh.a.QueueMail(ctx, mail("o1"), store.MailFor{Report: &report}))
	sh.ok(sh.b.QueueMail(ctx, mail("o2"), store.MailFor{Report: &report}))
	sh.ok(sh.a.Enqueue(ctx, message("barrier", 1, 1, t0, priority.Normal)))
	sh.sees(sh.b, "barrier")
	now := t0.Add(time.Minute)
	var all []store.OutMail
	for _, in := range []Backend{sh.a, sh.b} {
		due, err := in.DueMail(now, 10)
		sh.ok(err)
		all = append(all, due...)
	}
	if len(all) != 1 {
		sh.Fatalf("report mails queued across a and b: %+v, want one", all)
	}
	sh.ok(sh.a.MailSent(ctx, all[0].ID))
	sh.ok(sh.b.QueueMail(ctx, mail("o3"), store.MailFor{Report: &report}))
	if due, err := sh.b.DueMail(now, 10); err != nil || len(due) != 0 {
		sh.Errorf("a report queued after its mail went: %+v, %v", due, err)
	}
	for _, in := range []Backend{sh.a, sh.b} {
		if u, err := in.Unreported(10); err != nil || len(u) != 0 {
			sh.Errorf("Unreported after the report = %v, %v", u, err)
		}
	}
}

// testRestartRecovers: an instance killed and started again (under its
// name) recovers its own parts left submitting before the others would
// take them over; the others' parts it leaves alone.
func testRestartRecovers(sh *shared) {
	sh.ok(sh.a.Enqueue(ctx, message("m", 2, 1, t0, priority.Normal)))
	sh.sees(sh.b, "m")
	_, err := sh.a.Begin(ctx, []store.PartKey{pk("m", 0, 0)}, "smsc", t0)
	sh.ok(err)
	_, err = sh.b.Begin(ctx, []store.PartKey{pk("m", 1, 0)}, "smsc", t0)
	sh.ok(err)
	sh.a.Kill()
	sh.a = sh.instance("a")
	sh.eventually(5*time.Second, "a, back, sees b's part submitting", func() bool {
		p, err := partOn(sh.a, pk("m", 1, 0))
		return err == nil && p.State == store.PartSubmitting
	})
	now := time.Now()
	keys, err := sh.a.Recover(now)
	sh.ok(err)
	if fmt.Sprint(keys) != fmt.Sprint([]store.PartKey{pk("m", 0, 0)}) {
		sh.Errorf("Recover = %v, want only a's own part", keys)
	}
	p, err := partOn(sh.a, pk("m", 0, 0))
	sh.ok(err)
	if p.State != store.PartQueued || p.InDoubt != 1 {
		sh.Errorf("a's part after Recover: %v, %d in doubt; want queued, 1", p.State, p.InDoubt)
	}
	time.Sleep(sh.lease)
	if p, err := partOn(sh.b, pk("m", 1, 0)); err != nil || p.State != store.PartSubmitting {
		sh.Errorf("b's part, b alive, after a lease: %v, %v; want submitting", p.State, err)
	}
}
