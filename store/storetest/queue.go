package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/store"
)

// testLifecycle follows one message from Enqueue to Purge: due, begun,
// submitted, its receipts' ids looked up, final, reported, purged.
func testLifecycle(h *harness) {
	m := message("m1", 1, 2, t0, priority.Normal)
	m.Ret, m.Original = "FULL", []byte("Subject: Hello\r\n\r\nthe whole mail\r\n")
	h.enqueue(m)
	if err := h.b.Enqueue(ctx, message("m1", 1, 1, t0, priority.Normal)); !errors.Is(err, store.ErrExists) {
		h.Errorf("Enqueue of an id stored already: %v, want ErrExists", err)
	}
	k0, k1 := pk("m1", 0, 0), pk("m1", 0, 1)
	h.both("enqueued", func() {
		got, err := h.b.Message("m1")
		h.ok(err)
		if got.Sender != m.Sender || got.Subject != m.Subject || got.Class != priority.Normal || len(got.Recipients) != 1 ||
			got.Recipients[0].Number != m.Recipients[0].Number || len(got.Recipients[0].Parts) != 2 ||
			got.Recipients[0].Parts[1].Text != m.Recipients[0].Parts[1].Text || !got.Received.Equal(t0) {
			h.Errorf("Message = %+v, want what was enqueued", got)
		}
		orig, err := h.b.Original("m1")
		h.ok(err)
		if string(orig) != string(m.Original) {
			h.Errorf("Original = %q, want %q", orig, m.Original)
		}
		dps, err := h.b.Due(t0, 10)
		h.ok(err)
		if fmt.Sprint(dueKeys(dps)) != fmt.Sprint([]store.PartKey{k0, k1}) {
			h.Fatalf("Due = %v, want both parts in order", dueKeys(dps))
		}
		if dp := dps[1]; dp.Number != m.Recipients[0].Number || dp.Sender != m.Sender || !dp.Received.Equal(t0) ||
			!dp.Expires.Equal(m.Expires) || dp.Part.Text != m.Recipients[0].Parts[1].Text || dp.Part.Seq != 2 {
			h.Errorf("DuePart = %+v, want the part with its message's fields", dp)
		}
		h.stats(map[store.PartState]int{store.PartQueued: 2})
	})

	h.begin(k0, k1)
	if skipped, err := h.b.Begin(ctx, []store.PartKey{k0}, "smsc", t0); err != nil || len(skipped) != 1 {
		h.Errorf("Begin of a part begun already: skipped %v, %v; want it skipped", skipped, err)
	}
	h.ok(h.b.Submitted(ctx, k0, "id-0", t0))
	h.ok(h.b.Submitted(ctx, k1, "id-1", t0))
	h.both("submitted", func() {
		if due := h.due(t0.Add(time.Hour), 10); len(due) != 0 {
			h.Errorf("Due after Begin = %v, want none", due)
		}
		p := h.state(k1, store.PartSubmitted)
		if p.Attempts != 1 || p.Transport != "smsc" || p.TransportID != "id-1" {
			h.Errorf("submitted part = %+v", p)
		}
		h.lookup("smsc", "id-0", k0)
		h.lookup("smsc", "id-1", k1)
		if _, ok, err := h.b.Lookup("other", "id-1"); err != nil || ok {
			h.Errorf("Lookup of the id on another transport: %v, %v; want none", ok, err)
		}
		h.stats(map[store.PartState]int{store.PartSubmitted: 2})
		h.unreported()
	})

	if done, err := h.b.Finish(ctx, k0, store.PartDelivered, "delivered", t0); err != nil || done {
		h.Errorf("Finish of the first part: %v, %v; want the recipient not done", done, err)
	}
	if done, err := h.b.Finish(ctx, k1, store.PartDelivered, "delivered", t0); err != nil || !done {
		h.Errorf("Finish of the last part: %v, %v; want the recipient done", done, err)
	}
	if done, err := h.b.Finish(ctx, k1, store.PartFailed, "again", t0); err != nil || done {
		h.Errorf("Finish of a final part: %v, %v; want nothing done", done, err)
	}
	h.both("final", func() {
		if p := h.state(k1, store.PartDelivered); p.Error != "delivered" {
			h.Errorf("final part's status %q", p.Error)
		}
		h.stats(map[store.PartState]int{store.PartDelivered: 2})
		h.unreported(rk("m1", 0))
	})

	h.ok(h.b.MarkReported(ctx, rk("m1", 0)))
	h.ok(h.b.MarkReported(ctx, rk("m1", 0)))
	h.both("reported", func() { h.unreported() })

	if n, err := h.b.Purge(ctx, t0); err != nil || n != 0 {
		h.Errorf("Purge before its arrival: %d, %v; want 0", n, err)
	}
	if n, err := h.b.Purge(ctx, t0.Add(time.Second)); err != nil || n != 1 {
		h.Errorf("Purge: %d, %v; want 1", n, err)
	}
	h.both("purged", func() {
		if _, err := h.b.Message("m1"); !errors.Is(err, store.ErrNotFound) {
			h.Errorf("Message after purge: %v, want ErrNotFound", err)
		}
		if _, ok, _ := h.b.Lookup("smsc", "id-0"); ok {
			h.Error("Lookup finds a purged part")
		}
		h.stats(nil)
	})
}

// testFinishReceipt: a receipt's final state is kept with the state the
// network gave; a part final already keeps its own.
func testFinishReceipt(h *harness) {
	h.enqueue(message("m", 1, 2, t0, priority.Normal))
	for i := range 2 {
		k := pk("m", 0, i)
		h.begin(k)
		h.ok(h.b.Submitted(ctx, k, fmt.Sprint("id-", i), t0))
	}
	if done, err := h.b.FinishReceipt(ctx, pk("m", 0, 0), store.PartDelivered, "DELIVRD", "stat:DELIVRD", t0); err != nil || done {
		h.Errorf("FinishReceipt of the first part: %v, %v; want the recipient not done", done, err)
	}
	if done, err := h.b.FinishReceipt(ctx, pk("m", 0, 1), store.PartFailed, "UNDELIV", "stat:UNDELIV err:001", t0); err != nil || !done {
		h.Errorf("FinishReceipt of the last part: %v, %v; want the recipient done", done, err)
	}
	if done, err := h.b.FinishReceipt(ctx, pk("m", 0, 1), store.PartDelivered, "DELIVRD", "late", t0); err != nil || done {
		h.Errorf("FinishReceipt of a final part: %v, %v; want nothing done", done, err)
	}
	h.both("final", func() {
		if p := h.state(pk("m", 0, 0), store.PartDelivered); p.Receipt != "DELIVRD" || p.Error != "stat:DELIVRD" {
			h.Errorf("delivered part: receipt %q, status %q", p.Receipt, p.Error)
		}
		if p := h.state(pk("m", 0, 1), store.PartFailed); p.Receipt != "UNDELIV" || p.Error != "stat:UNDELIV err:001" {
			h.Errorf("failed part: receipt %q, status %q", p.Receipt, p.Error)
		}
		h.unreported(rk("m", 0))
	})
}

// testDueOrder: due parts come most urgent class first, earliest first
// within one; DueIn serves one class; NextDue is the earliest of all.
func testDueOrder(h *harness) {
	if _, ok, err := h.b.NextDue(); err != nil || ok {
		h.Errorf("NextDue of an empty store: %v, %v", ok, err)
	}
	h.enqueue(message("b1", 1, 1, t0, priority.Bulk))
	h.enqueue(message("b2", 1, 1, t0.Add(time.Second), priority.Bulk))
	h.enqueue(message("n1", 1, 1, t0.Add(2*time.Second), priority.Normal))
	h.enqueue(message("u1", 1, 1, t0.Add(4*time.Second), priority.Urgent))
	h.enqueue(message("u0", 1, 1, t0.Add(3*time.Second), priority.Urgent))
	h.enqueue(message("later", 1, 1, t0.Add(time.Hour), priority.Urgent))
	ids := func(ks []store.PartKey) []string {
		var out []string
		for _, k := range ks {
			out = append(out, k.Msg)
		}
		return out
	}
	h.both("enqueued", func() {
		now := t0.Add(time.Minute)
		if got := ids(h.due(now, 10)); !slices.Equal(got, []string{"u0", "u1", "n1", "b1", "b2"}) {
			h.Errorf("Due = %v, want urgent, normal, bulk, earliest first in each", got)
		}
		if got := ids(h.due(now, 3)); !slices.Equal(got, []string{"u0", "u1", "n1"}) {
			h.Errorf("Due with limit 3 = %v", got)
		}
		if got := ids(h.due(t0.Add(2*time.Second), 10)); !slices.Equal(got, []string{"n1", "b1", "b2"}) {
			h.Errorf("Due before the urgent ones arrived = %v", got)
		}
		for _, c := range []struct {
			class priority.Class
			want  []string
		}{
			{priority.Urgent, []string{"u0", "u1"}},
			{priority.Normal, []string{"n1"}},
			{priority.Bulk, []string{"b1", "b2"}},
		} {
			dps, err := h.b.DueIn(c.class, now, 10)
			h.ok(err)
			if got := ids(dueKeys(dps)); !slices.Equal(got, c.want) {
				h.Errorf("DueIn(%v) = %v, want %v", c.class, got, c.want)
			}
			for _, dp := range dps {
				if dp.Class != c.class {
					h.Errorf("DueIn(%v) gave a part of class %v", c.class, dp.Class)
				}
			}
		}
		if dps, err := h.b.DueIn(priority.Bulk, now, 1); err != nil || len(dps) != 1 {
			h.Errorf("DueIn with limit 1: %d parts, %v", len(dps), err)
		}
		next, ok, err := h.b.NextDue()
		h.ok(err)
		if !ok || !next.Equal(t0) {
			h.Errorf("NextDue = %v, %v; want %v", next, ok, t0)
		}
	})
	for _, id := range []string{"b1", "b2", "n1", "u0", "u1", "later"} {
		_, err := h.b.Begin(ctx, []store.PartKey{pk(id, 0, 0)}, "smsc", t0)
		h.ok(err)
	}
	h.both("all begun", func() {
		if _, ok, err := h.b.NextDue(); err != nil || ok {
			h.Errorf("NextDue with nothing queued: %v, %v", ok, err)
		}
	})
}

// testRetryKeepsClass: a retried part waits until its next attempt and
// comes back in its class, its attempt counted.
func testRetryKeepsClass(h *harness) {
	h.enqueue(message("u", 1, 1, t0, priority.Urgent))
	h.enqueue(message("b", 1, 1, t0, priority.Bulk))
	next := t0.Add(time.Minute)
	for _, id := range []string{"u", "b"} {
		h.begin(pk(id, 0, 0))
		h.ok(h.b.Retry(ctx, pk(id, 0, 0), next, "throttled", t0))
	}
	h.both("retried", func() {
		if due := h.due(next.Add(-time.Nanosecond), 10); len(due) != 0 {
			h.Errorf("Due before the retry time = %v", due)
		}
		if n, ok, err := h.b.NextDue(); err != nil || !ok || !n.Equal(next) {
			h.Errorf("NextDue = %v, %v, %v; want %v", n, ok, err, next)
		}
		for _, c := range []struct {
			class priority.Class
			id    string
		}{{priority.Urgent, "u"}, {priority.Bulk, "b"}} {
			dps, err := h.b.DueIn(c.class, next, 10)
			h.ok(err)
			if len(dps) != 1 || dps[0].Key.Msg != c.id || dps[0].Class != c.class {
				h.Fatalf("DueIn(%v) after retry = %v", c.class, dueKeys(dps))
			}
			if p := dps[0].Part; p.Attempts != 1 || p.Error != "throttled" || p.State != store.PartQueued || !p.NextAttempt.Equal(next) {
				h.Errorf("retried part = %+v", p)
			}
		}
	})
}

// testInDoubt: a send in doubt is counted and sent again; when the
// first send turns out accepted, both ids find the part.
func testInDoubt(h *harness) {
	h.enqueue(message("m", 1, 1, t0, priority.Normal))
	k := pk("m", 0, 0)
	h.begin(k)
	h.ok(h.b.RetryInDoubt(ctx, k, t0, "in doubt: link lost", t0))
	h.both("in doubt", func() {
		p := h.state(k, store.PartQueued)
		if p.InDoubt != 1 || p.Attempts != 1 {
			h.Errorf("part in doubt: InDoubt %d, Attempts %d; want 1, 1", p.InDoubt, p.Attempts)
		}
		if due := h.due(t0, 10); len(due) != 1 {
			h.Errorf("the part in doubt is not due: %v", due)
		}
	})
	h.begin(k)
	h.ok(h.b.Submitted(ctx, k, "id-2", t0))
	if out, err := h.b.LateID(ctx, k, "smsc", "id-1", t0); err != nil || out != store.LateDuplicate {
		h.Errorf("LateID after a resend: %v, %v; want LateDuplicate", out, err)
	}
	if out, err := h.b.LateID(ctx, k, "smsc", "id-1", t0); err != nil || out != store.LateKept {
		h.Errorf("LateID again: %v, %v; want LateKept", out, err)
	}
	h.both("two ids", func() {
		p := h.state(k, store.PartSubmitted)
		if p.TransportID != "id-2" || p.AlsoTransport != "smsc" || p.AlsoID != "id-1" || !p.MaybeTwice() {
			h.Errorf("part sent twice = %+v", p)
		}
		h.lookup("smsc", "id-1", k)
		h.lookup("smsc", "id-2", k)
	})
	if done, err := h.b.Finish(ctx, k, store.PartDelivered, "delivered", t0); err != nil || !done {
		h.Errorf("Finish of the part sent twice: %v, %v", done, err)
	}
}

// testLateIDSubmits: a part waiting to be sent again after a send in
// doubt is submitted under the late id instead.
func testLateIDSubmits(h *harness) {
	h.enqueue(message("m", 1, 1, t0, priority.Normal))
	k := pk("m", 0, 0)
	h.begin(k)
	h.ok(h.b.RetryInDoubt(ctx, k, t0.Add(time.Minute), "in doubt", t0))
	if out, err := h.b.LateID(ctx, k, "smsc", "late", t0); err != nil || out != store.LateSubmitted {
		h.Fatalf("LateID of a queued part: %v, %v; want LateSubmitted", out, err)
	}
	h.both("late submitted", func() {
		p := h.state(k, store.PartSubmitted)
		if p.TransportID != "late" || p.InDoubt != 0 {
			h.Errorf("part = %+v; want submitted under the late id, nothing in doubt", p)
		}
		h.lookup("smsc", "late", k)
		if due := h.due(t0.Add(time.Hour), 10); len(due) != 0 {
			h.Errorf("Due = %v; the part must not be sent again", due)
		}
		h.stats(map[store.PartState]int{store.PartSubmitted: 1})
	})
}

// testRecover: after a restart, parts begun but not recorded as
// submitted are in doubt: back in the queue, due at once, counted.
func testRecover(h *harness) {
	h.enqueue(message("m", 1, 3, t0, priority.Urgent))
	h.begin(pk("m", 0, 0), pk("m", 0, 1))
	h.ok(h.b.Submitted(ctx, pk("m", 0, 1), "id-1", t0))
	h.reopen()
	now := t0.Add(time.Minute)
	keys, err := h.b.Recover(now)
	h.ok(err)
	if fmt.Sprint(keys) != fmt.Sprint([]store.PartKey{pk("m", 0, 0)}) {
		h.Errorf("Recover = %v, want the part begun and not submitted", keys)
	}
	h.both("recovered", func() {
		p := h.state(pk("m", 0, 0), store.PartQueued)
		if p.InDoubt != 1 || p.Attempts != 1 {
			h.Errorf("recovered part: InDoubt %d, Attempts %d; want 1, 1", p.InDoubt, p.Attempts)
		}
		h.state(pk("m", 0, 1), store.PartSubmitted)
		dps, err := h.b.DueIn(priority.Urgent, now, 10)
		h.ok(err)
		if fmt.Sprint(dueKeys(dps)) != fmt.Sprint([]store.PartKey{pk("m", 0, 2), pk("m", 0, 0)}) {
			h.Errorf("DueIn after Recover = %v, want the part never begun (due at its arrival), then the recovered one (due now)", dueKeys(dps))
		}
	})
	if keys, err := h.b.Recover(now); err != nil || len(keys) != 0 {
		h.Errorf("Recover again: %v, %v; want none", keys, err)
	}
}

// testVia: how a recipient's parts went out, and a whole resend that
// moves them to another way.
func testVia(h *harness) {
	h.enqueue(message("m", 1, 3, t0, priority.Normal))
	h.begin(pk("m", 0, 0), pk("m", 0, 1))
	h.ok(h.b.Submitted(ctx, pk("m", 0, 0), "id-0", t0))
	h.both("one submitted, one in flight", func() {
		v, err := h.b.Via(rk("m", 0))
		h.ok(err)
		if v.Transport != "smsc" || v.ID != "id-0" || v.InFlight != 1 {
			h.Errorf("Via = %+v", v)
		}
	})
	h.ok(h.b.Submitted(ctx, pk("m", 0, 1), "id-1", t0))
	n, err := h.b.RequeueRecipient(ctx, rk("m", 0), "part 3 cannot follow", t0)
	h.ok(err)
	if n != 2 {
		h.Errorf("RequeueRecipient moved %d parts, want 2", n)
	}
	h.both("requeued", func() {
		for i := range 2 {
			if p := h.state(pk("m", 0, i), store.PartQueued); p.MovedFrom != "smsc" {
				h.Errorf("part %d MovedFrom %q, want smsc", i, p.MovedFrom)
			}
		}
		if v, err := h.b.Via(rk("m", 0)); err != nil || v != (store.Via{}) {
			h.Errorf("Via after requeue = %+v, %v; want none", v, err)
		}
		if due := h.due(t0, 10); len(due) != 3 {
			h.Errorf("Due = %v, want all three parts", due)
		}
	})
	if _, err := h.b.Via(rk("none", 0)); !errors.Is(err, store.ErrNotFound) {
		h.Errorf("Via of no message: %v, want ErrNotFound", err)
	}
}

// testOverdue: submitted parts whose message expired without a receipt.
func testOverdue(h *harness) {
	early := message("early", 1, 1, t0, priority.Normal)
	early.Expires = t0.Add(time.Hour)
	late := message("late", 1, 1, t0, priority.Normal)
	late.Expires = t0.Add(2 * time.Hour)
	h.enqueue(early)
	h.enqueue(late)
	h.enqueue(message("queued", 1, 1, t0, priority.Normal))
	for _, id := range []string{"early", "late"} {
		h.begin(pk(id, 0, 0))
		h.ok(h.b.Submitted(ctx, pk(id, 0, 0), "id-"+id, t0))
	}
	h.both("submitted", func() {
		for _, c := range []struct {
			at   time.Time
			want []store.PartKey
		}{
			{t0.Add(time.Hour), nil},
			{t0.Add(time.Hour + time.Second), []store.PartKey{pk("early", 0, 0)}},
			{t0.Add(3 * time.Hour), []store.PartKey{pk("early", 0, 0), pk("late", 0, 0)}},
		} {
			got, err := h.b.Overdue(c.at, 10)
			h.ok(err)
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				h.Errorf("Overdue(%v) = %v, want %v", c.at, got, c.want)
			}
		}
	})
	_, err := h.b.Finish(ctx, pk("early", 0, 0), store.PartExpired, "validity passed", t0)
	h.ok(err)
	h.both("expired", func() {
		if got, _ := h.b.Overdue(t0.Add(3*time.Hour), 10); fmt.Sprint(got) != fmt.Sprint([]store.PartKey{pk("late", 0, 0)}) {
			h.Errorf("Overdue after expiry = %v", got)
		}
	})
}

// testPurge: only messages final and reported, received before the cut
// of the retention, are deleted, with everything that names them.
func testPurge(h *harness) {
	for i, id := range []string{"old", "new"} {
		h.enqueue(message(id, 1, 1, t0.Add(time.Duration(i)*time.Hour), priority.Normal))
		h.begin(pk(id, 0, 0))
		h.ok(h.b.Submitted(ctx, pk(id, 0, 0), "id-"+id, t0))
		_, err := h.b.Finish(ctx, pk(id, 0, 0), store.PartDelivered, "delivered", t0)
		h.ok(err)
		h.ok(h.b.MarkReported(ctx, rk(id, 0)))
	}
	h.enqueue(message("unreported", 1, 1, t0, priority.Normal))
	_, err := h.b.Finish(ctx, pk("unreported", 0, 0), store.PartFailed, "no route", t0)
	h.ok(err)
	h.enqueue(message("open", 1, 1, t0, priority.Normal))
	n, err := h.b.Purge(ctx, t0.Add(30*time.Minute))
	h.ok(err)
	if n != 1 {
		h.Errorf("Purge = %d, want 1 (only the old, reported message)", n)
	}
	h.both("purged", func() {
		for id, kept := range map[string]bool{"old": false, "new": true, "unreported": true, "open": true} {
			_, err := h.b.Message(id)
			if kept && err != nil || !kept && !errors.Is(err, store.ErrNotFound) {
				h.Errorf("Message(%s) after purge: %v", id, err)
			}
		}
		if _, ok, _ := h.b.Lookup("smsc", "id-old"); ok {
			h.Error("the purged part's id is still indexed")
		}
		h.unreported(rk("unreported", 0))
		h.stats(map[store.PartState]int{store.PartDelivered: 1, store.PartFailed: 1, store.PartQueued: 1})
	})
}

// testConcurrentWriters: many writers at once, as the SMTP sessions and
// the dispatcher are; every change is kept, across a reopen too.
func testConcurrentWriters(h *harness) {
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := fmt.Sprintf("w%02d-%03d", w, i)
				if err := h.b.Enqueue(ctx, message(id, 1, 2, t0, priority.Classes[i%len(priority.Classes)])); err != nil {
					errs <- err
					return
				}
				k := pk(id, 0, 0)
				if _, err := h.b.Begin(ctx, []store.PartKey{k}, "smsc", t0); err != nil {
					errs <- err
					return
				}
				if err := h.b.Submitted(ctx, k, "id-"+id, t0); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		h.Fatal(err)
	}
	h.both("written", func() {
		h.stats(map[store.PartState]int{store.PartQueued: writers * each, store.PartSubmitted: writers * each})
		for w := range writers {
			for i := range each {
				id := fmt.Sprintf("w%02d-%03d", w, i)
				h.lookup("smsc", "id-"+id, pk(id, 0, 0))
			}
		}
		if due := h.due(t0, 2*writers*each); len(due) != writers*each {
			h.Errorf("Due = %d parts, want %d", len(due), writers*each)
		}
	})
}
