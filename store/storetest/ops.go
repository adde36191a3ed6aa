package storetest

import (
	"cmp"
	"errors"
	"slices"
	"time"

	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/store"
)

// testList: messages newest first, filtered by state, time and number,
// paged with the cursor until it is empty.
func testList(h *harness) {
	// Ids sort in time order, as store.NewID's do.
	for i, id := range []string{"l1", "l2", "l3", "l4", "l5"} {
		m := message(id, 1, 2, t0.Add(time.Duration(i)*time.Minute), priority.Normal)
		if id == "l2" || id == "l4" {
			m.Recipients[0].Number = "+41790001234"
		}
		h.enqueue(m)
	}
	h.begin(pk("l3", 0, 0))
	h.ok(h.b.Submitted(ctx, pk("l3", 0, 0), "id-l3", t0))
	_, err := h.b.Finish(ctx, pk("l4", 0, 0), store.PartFailed, "no route", t0)
	h.ok(err)
	_, err = h.b.Finish(ctx, pk("l4", 0, 1), store.PartFailed, "no route", t0)
	h.ok(err)
	all := func(q store.ListQuery) []string {
		h.Helper()
		var ids []string
		for range 10 {
			list, next, err := h.b.List(q)
			h.ok(err)
			if limit := cmp.Or(q.Limit, store.DefaultListLimit); len(list) > limit {
				h.Errorf("List gave %d messages, more than its limit %d", len(list), limit)
			}
			for _, s := range list {
				ids = append(ids, s.ID)
			}
			if next == "" {
				return ids
			}
			q.Before = next
		}
		h.Fatalf("List(%+v) does not end after 10 pages", q)
		return nil
	}
	h.both("listed", func() {
		for _, c := range []struct {
			name string
			q    store.ListQuery
			want []string
		}{
			{"all", store.ListQuery{}, []string{"l5", "l4", "l3", "l2", "l1"}},
			{"pages of two", store.ListQuery{Limit: 2}, []string{"l5", "l4", "l3", "l2", "l1"}},
			{"submitted", store.ListQuery{State: store.PartSubmitted}, []string{"l3"}},
			{"queued", store.ListQuery{State: store.PartQueued, Limit: 1}, []string{"l5", "l3", "l2", "l1"}},
			{"failed", store.ListQuery{State: store.PartFailed}, []string{"l4"}},
			{"since", store.ListQuery{Since: t0.Add(3 * time.Minute)}, []string{"l5", "l4"}},
			{"to", store.ListQuery{To: "+41790001234", Limit: 1}, []string{"l4", "l2"}},
			{"to and state", store.ListQuery{To: "+41790001234", State: store.PartQueued}, []string{"l2"}},
			{"before", store.ListQuery{Before: "l3"}, []string{"l2", "l1"}},
		} {
			if got := all(c.q); !slices.Equal(got, c.want) {
				h.Errorf("List %s = %v, want %v", c.name, got, c.want)
			}
		}
		list, _, err := h.b.List(store.ListQuery{State: store.PartSubmitted})
		h.ok(err)
		if len(list) != 1 {
			h.Fatalf("List submitted = %d messages", len(list))
		}
		s := list[0]
		if s.Sender != "alice@example.com" || !s.Received.Equal(t0.Add(2*time.Minute)) || s.Class != priority.Normal ||
			s.Parts[store.PartSubmitted] != 1 || s.Parts[store.PartQueued] != 1 || len(s.Recipients) != 1 ||
			s.Recipients[0].State != store.PartQueued || s.Recipients[0].Parts != 2 {
			h.Errorf("summary = %+v", s)
		}
	})
}

// testCancelRetry: an operator cancels what still waits and hurries
// what waits for its backoff; what is under way is left alone.
func testCancelRetry(h *harness) {
	h.enqueue(message("m", 1, 3, t0, priority.Normal))
	h.begin(pk("m", 0, 0))
	h.ok(h.b.Submitted(ctx, pk("m", 0, 0), "id-0", t0))
	h.begin(pk("m", 0, 1))
	h.ok(h.b.Retry(ctx, pk("m", 0, 1), t0.Add(time.Hour), "throttled", t0))
	now := t0.Add(time.Minute)
	n, err := h.b.RetryQueued(ctx, "m", now)
	h.ok(err)
	if n != 2 {
		h.Errorf("RetryQueued = %d, want the 2 queued parts", n)
	}
	h.both("retried now", func() {
		if due := h.due(now, 10); len(due) != 2 {
			h.Errorf("Due after RetryQueued = %v, want 2 parts", due)
		}
	})
	n, done, err := h.b.CancelQueued(ctx, "m", "cancelled by an operator", now)
	h.ok(err)
	if n != 2 || len(done) != 0 {
		h.Errorf("CancelQueued = %d, %v; want 2 cancelled, the recipient not final (a part is submitted)", n, done)
	}
	h.both("cancelled", func() {
		if p := h.state(pk("m", 0, 2), store.PartCancelled); p.Error != "cancelled by an operator" {
			h.Errorf("cancelled part's status %q", p.Error)
		}
		h.state(pk("m", 0, 0), store.PartSubmitted)
		if due := h.due(now, 10); len(due) != 0 {
			h.Errorf("Due after cancel = %v", due)
		}
		h.stats(map[store.PartState]int{store.PartSubmitted: 1, store.PartCancelled: 2})
	})
	if done, err := h.b.Finish(ctx, pk("m", 0, 0), store.PartDelivered, "delivered", now); err != nil || !done {
		h.Errorf("Finish of the last open part: %v, %v; want the recipient done", done, err)
	}
	h.enqueue(message("q", 2, 1, t0, priority.Normal))
	h.begin(pk("q", 1, 0))
	n, done, err = h.b.CancelQueued(ctx, "q", "cancelled", now)
	h.ok(err)
	if n != 1 || len(done) != 1 || done[0] != rk("q", 0) {
		h.Errorf("CancelQueued = %d, %v; want 1 and recipient 0 final", n, done)
	}
	for _, err := range []error{
		func() error { _, _, err := h.b.CancelQueued(ctx, "none", "x", now); return err }(),
		func() error { _, err := h.b.RetryQueued(ctx, "none", now); return err }(),
		func() error { _, err := h.b.Resend(ctx, "none", time.Time{}, now); return err }(),
	} {
		if !errors.Is(err, store.ErrNotFound) {
			h.Errorf("an operation on no message: %v, want ErrNotFound", err)
		}
	}
}

// testResend: failed and expired parts go back in the queue with a new
// validity and no attempts; their recipient is reported again.
func testResend(h *harness) {
	h.enqueue(message("m", 1, 3, t0, priority.Normal))
	_, err := h.b.Finish(ctx, pk("m", 0, 0), store.PartFailed, "no credit", t0)
	h.ok(err)
	_, err = h.b.Finish(ctx, pk("m", 0, 1), store.PartExpired, "validity passed", t0)
	h.ok(err)
	_, err = h.b.Finish(ctx, pk("m", 0, 2), store.PartDelivered, "delivered", t0)
	h.ok(err)
	h.ok(h.b.MarkReported(ctx, rk("m", 0)))
	now := t0.Add(time.Hour)
	expires := now.Add(24 * time.Hour)
	n, err := h.b.Resend(ctx, "m", expires, now)
	h.ok(err)
	if n != 2 {
		h.Errorf("Resend = %d, want the failed and the expired part", n)
	}
	h.both("sent again", func() {
		for i := range 2 {
			if p := h.state(pk("m", 0, i), store.PartQueued); p.Attempts != 0 || p.Error != "" {
				h.Errorf("part %d sent again = %+v", i, p)
			}
		}
		h.state(pk("m", 0, 2), store.PartDelivered)
		m, err := h.b.Message("m")
		h.ok(err)
		if !m.Expires.Equal(expires) {
			h.Errorf("Expires = %v, want %v", m.Expires, expires)
		}
		if due := h.due(now, 10); len(due) != 2 {
			h.Errorf("Due = %v, want the 2 parts", due)
		}
		h.unreported()
	})
	for i := range 2 {
		_, err := h.b.Finish(ctx, pk("m", 0, i), store.PartDelivered, "delivered", now)
		h.ok(err)
	}
	h.both("final again", func() { h.unreported(rk("m", 0)) })
}

// testQueued: the scrape's walk of the queue, by class then time,
// bounded.
func testQueued(h *harness) {
	h.enqueue(message("b", 1, 1, t0, priority.Bulk))
	h.enqueue(message("u", 1, 2, t0.Add(time.Minute), priority.Urgent))
	h.begin(pk("u", 0, 1))
	h.ok(h.b.Retry(ctx, pk("u", 0, 1), t0.Add(time.Hour), "throttled", t0))
	h.both("queued", func() {
		var got []store.QueuedPart
		complete, err := h.b.Queued(10, func(q store.QueuedPart) { got = append(got, q) })
		h.ok(err)
		if !complete || len(got) != 3 {
			h.Fatalf("Queued = %v, %d parts; want complete, 3", complete, len(got))
		}
		if got[0].Key != pk("u", 0, 0) || got[1].Key != pk("u", 0, 1) || got[2].Key != pk("b", 0, 0) {
			h.Errorf("Queued order %v, %v, %v; want urgent by time, then bulk", got[0].Key, got[1].Key, got[2].Key)
		}
		if q := got[1]; q.Transport != "smsc" || q.Attempts != 1 || q.Class != priority.Urgent || q.Number != "+41790000000" ||
			!q.NextAttempt.Equal(t0.Add(time.Hour)) || !q.Received.Equal(t0.Add(time.Minute)) {
			h.Errorf("queued part = %+v", q)
		}
		n := 0
		complete, err = h.b.Queued(2, func(store.QueuedPart) { n++ })
		h.ok(err)
		if complete || n != 2 {
			h.Errorf("Queued(2) = %v, %d parts; want cut short at 2", complete, n)
		}
		if since, err := h.b.WriteFailure(); err != nil {
			h.Errorf("WriteFailure of a healthy store: %v since %v", err, since)
		}
	})
}
