package storetest

import (
	"errors"
	"fmt"
	"time"

	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/store"
)

// testCallbacks: a watch stored with its message; Tell queues callbacks
// and ends the watch; callbacks come due by owner, are retried and done;
// callbacks that follow no message are queued alone.
func testCallbacks(h *harness) {
	m := message("w", 1, 1, t0, priority.Normal)
	h.ok(h.b.EnqueueWatched(ctx, m, store.Watch{Owner: "smpp", Data: []byte("e=esme")}))
	h.ok(h.b.QueueCallbacks(ctx, []store.Callback{
		{ID: "mo1", Owner: "smpp:esme", Data: []byte("mo one"), Created: t0.Add(time.Second)},
		{ID: "other", Owner: "smpp:else", Data: []byte("x"), Created: t0},
	}))
	if err := h.b.QueueCallbacks(ctx, []store.Callback{{ID: "mo1", Owner: "smpp:esme", Created: t0}}); !errors.Is(err, store.ErrExists) {
		h.Errorf("QueueCallbacks of an id queued already: %v, want ErrExists", err)
	}
	if err := h.b.QueueCallbacks(ctx, []store.Callback{{Owner: "smpp:esme", Created: t0}}); !errors.Is(err, store.ErrInvalid) {
		h.Errorf("QueueCallbacks without an id: %v, want ErrInvalid", err)
	}
	h.both("watched", func() {
		ws, err := h.b.Watches("smpp", "", 10)
		h.ok(err)
		if len(ws) != 1 || ws[0].Msg != "w" || string(ws[0].Data) != "e=esme" || len(ws[0].Told) != 1 {
			h.Errorf("Watches = %+v, want w's", ws)
		}
		if ws, _ := h.b.Watches("kannel", "", 10); len(ws) != 0 {
			h.Errorf("Watches of another owner = %+v", ws)
		}
	})
	h.ok(h.b.Tell(ctx, "w", nil, true, []store.Callback{{ID: "w.r", Owner: "smpp:esme", Data: []byte("receipt"), Created: t0}}))
	if err := h.b.Tell(ctx, "w", nil, true, nil); !errors.Is(err, store.ErrNotFound) {
		h.Errorf("Tell after the watch ended: %v, want ErrNotFound", err)
	}
	h.both("told", func() {
		if ws, _ := h.b.Watches("smpp", "", 10); len(ws) != 0 {
			h.Errorf("Watches after done = %+v", ws)
		}
		h.callbacks("smpp:esme", t0.Add(time.Second), "w.r", "mo1")
		h.callbacks("smpp:esme", t0, "w.r")
		h.nextCallback("smpp:esme", t0, true)
		h.nextCallback("smpp:nobody", time.Time{}, false)
	})
	h.ok(h.b.CallbackRetry(ctx, "w.r", t0.Add(time.Minute), "no deliver_sm_resp"))
	h.ok(h.b.CallbackDone(ctx, "mo1"))
	if err := h.b.CallbackDone(ctx, "mo1"); !errors.Is(err, store.ErrNotFound) {
		h.Errorf("CallbackDone twice: %v, want ErrNotFound", err)
	}
	h.both("retried", func() {
		h.callbacks("smpp:esme", t0.Add(time.Second))
		h.nextCallback("smpp:esme", t0.Add(time.Minute), true)
		cbs, err := h.b.DueCallbacks("smpp:esme", t0.Add(time.Minute), 10)
		h.ok(err)
		if len(cbs) != 1 || cbs[0].ID != "w.r" || cbs[0].Attempts != 1 || cbs[0].Error != "no deliver_sm_resp" || string(cbs[0].Data) != "receipt" {
			h.Errorf("retried callback = %+v", cbs)
		}
	})
}

// nextCallback checks when owner's next callback is due.
func (h *harness) nextCallback(owner string, want time.Time, wantOK bool) {
	h.Helper()
	t, ok, err := h.b.NextCallback(owner)
	h.ok(err)
	if ok != wantOK || !t.Equal(want) {
		h.Errorf("NextCallback(%s) = %v, %v; want %v, %v", owner, t, ok, want, wantOK)
	}
}

// callbacks checks owner's callbacks due at now, in order.
func (h *harness) callbacks(owner string, now time.Time, want ...string) {
	h.Helper()
	cbs, err := h.b.DueCallbacks(owner, now, 10)
	h.ok(err)
	var got []string
	for _, c := range cbs {
		got = append(got, c.ID)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		h.Errorf("DueCallbacks(%s, %v) = %v, want %v", owner, now, got, want)
	}
}

func segment(set string, seq int, id, data string, at time.Time) store.Segment {
	return store.Segment{Set: set, Seq: seq, ID: id, Data: []byte(data), Received: at}
}

// segIDs is a set's segments as seq:id.
func segIDs(s store.SegmentSet) string {
	out := ""
	for _, g := range s.Segments {
		out += fmt.Sprintf("%d:%s ", g.Seq, g.ID)
	}
	return out
}

// testSegments: segments are kept in Seq order, a repeat keeps the first;
// closing enqueues the message with its watch in the same commit, and the
// closed set still knows its segments' ids, but not their data; a closed
// set's repeat is recognised by its data, other data starts a new set.
func testSegments(h *harness) {
	put := func(s store.Segment) store.SegmentSet {
		h.Helper()
		set, err := h.b.PutSegment(ctx, s)
		h.ok(err)
		return set
	}
	if s := put(segment("esme/a/b/7/3", 2, "id2", "world", t0)); s.Closed || segIDs(s) != "2:id2 " || !s.First.Equal(t0) {
		h.Errorf("first segment: %+v", s)
	}
	put(segment("esme/a/b/7/3", 1, "id1", "hello", t0.Add(time.Second)))
	put(segment("other/a/b/7/2", 1, "o1", "x", t0.Add(2*time.Second)))
	if s := put(segment("esme/a/b/7/3", 2, "again", "world", t0.Add(3*time.Second))); segIDs(s) != "1:id1 2:id2 " {
		h.Errorf("repeated segment: %q, want the first one kept", segIDs(s))
	}
	for _, bad := range []store.Segment{segment("", 1, "x", "", t0), segment("s", 0, "x", "", t0), segment("s", 256, "x", "", t0), segment("s", 1, "", "", t0)} {
		if _, err := h.b.PutSegment(ctx, bad); !errors.Is(err, store.ErrInvalid) {
			h.Errorf("PutSegment(%+v): %v, want ErrInvalid", bad, err)
		}
	}
	h.both("stored", func() {
		sets, err := h.b.StaleSegments(t0.Add(time.Hour), 10)
		h.ok(err)
		if len(sets) != 2 || sets[0].Set != "esme/a/b/7/3" || sets[1].Set != "other/a/b/7/2" {
			h.Fatalf("StaleSegments = %+v", sets)
		}
		s := sets[0]
		if g, ok := s.Has(1); !ok || g.ID != "id1" || string(g.Data) != "hello" || !g.Received.Equal(t0.Add(time.Second)) || g.Set != s.Set {
			h.Errorf("segment 1 = %+v, %v", g, ok)
		}
		if g, _ := s.Has(2); string(g.Data) != "world" {
			h.Errorf("segment 2 = %+v", g)
		}
		if _, ok := s.Has(3); ok || s.Closed {
			h.Errorf("set %+v: has 3 or closed", s)
		}
		if sets, _ := h.b.StaleSegments(t0.Add(time.Second), 10); len(sets) != 1 {
			h.Errorf("StaleSegments before the second set = %+v", sets)
		}
	})
	put(segment("esme/a/b/7/3", 3, "id3", "!", t0.Add(4*time.Second)))
	m := message("whole", 1, 1, t0, priority.Normal)
	m.Source = "SMSBRIDGE"
	h.ok(h.b.CloseSegments(ctx, "esme/a/b/7/3", m, store.Watch{Owner: "smpp", Data: []byte("ids")}, nil))
	if err := h.b.CloseSegments(ctx, "esme/a/b/7/3", message("twice", 1, 1, t0, priority.Normal), store.Watch{}, nil); !errors.Is(err, store.ErrState) {
		h.Errorf("CloseSegments with a message of a closed set: %v, want ErrState", err)
	}
	if err := h.b.CloseSegments(ctx, "never", nil, store.Watch{}, nil); !errors.Is(err, store.ErrNotFound) {
		h.Errorf("CloseSegments of no set: %v, want ErrNotFound", err)
	}
	if _, err := h.b.Message("twice"); !errors.Is(err, store.ErrNotFound) {
		h.Errorf("the refused close enqueued its message: %v", err)
	}
	h.both("closed", func() {
		h.state(pk("whole", 0, 0), store.PartQueued)
		if got, err := h.b.Message("whole"); err != nil || got.Source != "SMSBRIDGE" {
			h.Errorf("the set's message = %+v, %v", got, err)
		}
		ws, err := h.b.Watches("smpp", "", 10)
		h.ok(err)
		if len(ws) != 1 || ws[0].Msg != "whole" || string(ws[0].Data) != "ids" {
			h.Errorf("Watches = %+v", ws)
		}
		sets, err := h.b.StaleSegments(t0.Add(time.Hour), 10)
		h.ok(err)
		if len(sets) != 2 || !sets[0].Closed || segIDs(sets[0]) != "1:id1 2:id2 3:id3 " {
			h.Fatalf("closed set = %+v", sets)
		}
		if g, _ := sets[0].Has(1); g.Data != nil {
			h.Errorf("closed set keeps data %q", g.Data)
		}
	})
	if s := put(segment("esme/a/b/7/3", 2, "late", "world", t0.Add(5*time.Second))); !s.Closed || segIDs(s) != "1:id1 2:id2 3:id3 " {
		h.Errorf("repeat for a closed set: %+v, want the closed set", s)
	}
	if s := put(segment("esme/a/b/7/3", 1, "new1", "reused", t0.Add(6*time.Second))); s.Closed || segIDs(s) != "1:new1 " || !s.First.Equal(t0.Add(6*time.Second)) {
		h.Errorf("reused reference: %+v, want a new set", s)
	}
	h.both("reused", func() {
		sets, err := h.b.StaleSegments(t0.Add(time.Hour), 10)
		h.ok(err)
		if len(sets) != 2 || sets[0].Set != "other/a/b/7/2" || sets[1].Set != "esme/a/b/7/3" || sets[1].Closed {
			h.Errorf("StaleSegments after a reused reference = %+v", sets)
		}
	})
}

// testSegmentsExpire: a set given up on is closed with the callbacks its
// client is owed, in one commit, and forgotten when closed again.
func testSegmentsExpire(h *harness) {
	_, err := h.b.PutSegment(ctx, segment("s", 1, "id1", "part", t0))
	h.ok(err)
	fail := []store.Callback{{ID: "id1.r", Owner: "smpp:esme", Data: []byte("REJECTD"), Created: t0.Add(time.Minute)}}
	h.ok(h.b.CloseSegments(ctx, "s", nil, store.Watch{}, fail))
	h.both("given up", func() {
		h.callbacks("smpp:esme", t0.Add(time.Minute), "id1.r")
		sets, err := h.b.StaleSegments(t0.Add(time.Minute), 10)
		h.ok(err)
		if len(sets) != 1 || !sets[0].Closed {
			h.Errorf("StaleSegments = %+v, want s closed", sets)
		}
	})
	h.ok(h.b.CloseSegments(ctx, "s", nil, store.Watch{}, nil))
	h.both("forgotten", func() {
		if sets, err := h.b.StaleSegments(t0.Add(time.Hour), 10); err != nil || len(sets) != 0 {
			h.Errorf("StaleSegments after forgetting = %+v, %v", sets, err)
		}
	})
	// A close whose callback cannot be queued closes nothing.
	_, err = h.b.PutSegment(ctx, segment("t", 1, "t1", "part", t0))
	h.ok(err)
	if err := h.b.CloseSegments(ctx, "t", nil, store.Watch{}, fail); !errors.Is(err, store.ErrExists) {
		h.Errorf("CloseSegments with a callback queued already: %v, want ErrExists", err)
	}
	if sets, _ := h.b.StaleSegments(t0.Add(time.Hour), 10); len(sets) != 1 || sets[0].Closed {
		h.Errorf("failed close left %+v", sets)
	}
}

// testMessageSource: the SMS source a message's client chose comes back
// with it and with its due parts; a message without one has none.
func testMessageSource(h *harness) {
	with := message("src", 1, 1, t0, priority.Normal)
	with.Source = "+41790000001"
	h.enqueue(with)
	h.enqueue(message("nosrc", 1, 1, t0.Add(time.Second), priority.Normal))
	h.both("sources", func() {
		dps, err := h.b.Due(t0.Add(time.Minute), 10)
		h.ok(err)
		if len(dps) != 2 || dps[0].Source != "+41790000001" || dps[1].Source != "" {
			h.Errorf("Due sources = %+v", dps)
		}
		if m, err := h.b.Message("src"); err != nil || m.Source != "+41790000001" {
			h.Errorf("Message(src) = %+v, %v", m, err)
		}
	})
}
