package natsstore

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

// Watches lists the watches of owner with a message id after after ("" from
// the start), in id order, at most limit. A watch shows with its message.
func (s *Store) Watches(owner, after string, limit int) ([]store.Watch, error) {
	var out []store.Watch
	err := s.read(func(v *view) error {
		var ids []string
		for id, w := range v.watches {
			if w.Owner == owner && v.visible(id) && (after == "" || cmpID(id, after) > 0) {
				ids = append(ids, id)
			}
		}
		slices.SortFunc(ids, cmpID)
		for _, id := range ids[:min(len(ids), max(limit, 0))] {
			w := *v.watches[id]
			w.Data, w.Told = slices.Clone(w.Data), slices.Clone(w.Told)
			out = append(out, w)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: watches: %w", err)
	}
	return out, nil
}

// Tell queues calls and records told as what msg's recipients have been
// told; with done the watch is removed instead. The callbacks are written
// first: a crash between leaves the watch to tell again, not a notice
// lost.
func (s *Store) Tell(ctx context.Context, msg string, told []uint8, done bool, calls []store.Callback) error {
	if err := s.tell(ctx, msg, told, done, calls); err != nil {
		return fmt.Errorf("natsstore: tell %s: %w", msg, err)
	}
	return nil
}

func (s *Store) tell(ctx context.Context, msg string, told []uint8, done bool, calls []store.Callback) error {
	k := watchKey(msg)
	watch := func() (store.Watch, uint64, error) {
		var w store.Watch
		var rev uint64
		err := s.read(func(v *view) error {
			cur := v.watches[msg]
			if cur == nil || !v.visible(msg) {
				return store.ErrNotFound
			}
			w, rev = *cur, v.keys[k].rev
			return nil
		})
		return w, rev, err
	}
	if _, _, err := watch(); err != nil {
		return err
	}
	if err := s.queueCallbacks(ctx, calls, "tell "+msg); err != nil {
		return err
	}
	return s.retryConflicts(ctx, k, func() error {
		w, rev, err := watch()
		if err != nil {
			return err
		}
		if done {
			return s.remove(ctx, k, rev)
		}
		w.Told = told
		_, err = s.write(ctx, k, encode(&w), rev, putUpdate)
		return err
	})
}

// QueueCallbacks queues calls that follow no message. store.ErrExists: an
// id queued already (then none is queued).
func (s *Store) QueueCallbacks(ctx context.Context, calls []store.Callback) error {
	if err := s.queueCallbacks(ctx, calls, ""); err != nil {
		return fmt.Errorf("natsstore: queue callbacks: %w", err)
	}
	return nil
}

// queueCallbacks checks every call before it writes any, then writes each,
// due at its Created, held by this instance. origin names the change that
// queues them (a Tell of a message, a close of a segment set), which
// writes its callbacks before the rest of itself: the same change tried
// again after a crash between finds its callbacks queued and goes on,
// where any other that brings an id queued already is store.ErrExists.
func (s *Store) queueCallbacks(ctx context.Context, calls []store.Callback, origin string) error {
	var todo []store.Callback
	err := s.read(func(v *view) error {
		for _, c := range calls {
			if !validID(c.ID) {
				return fmt.Errorf("%w: callback id %q", store.ErrInvalid, c.ID)
			}
			old := v.callbacks[c.ID]
			switch {
			case old == nil:
				todo = append(todo, c)
			case origin == "" || old.Origin != origin || old.Owner != c.Owner || !bytes.Equal(old.Data, c.Data):
				return fmt.Errorf("callback %s: %w", c.ID, store.ErrExists)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range todo {
		rec := callbackRecord{Callback: c, Origin: origin} // held by whoever delivers it first
		rec.NextAttempt = c.Created
		if _, err := s.write(ctx, callbackKey(c.ID), encode(&rec), 0, putCreate); err != nil {
			return fmt.Errorf("callback %s: %w", c.ID, err)
		}
	}
	return nil
}

// DueCallbacks lists owner's callbacks due at now, earliest first, at most
// limit: those this instance holds, and those of instances gone, which it
// takes over first.
func (s *Store) DueCallbacks(owner string, now time.Time, limit int) ([]store.Callback, error) {
	var list []callbackRecord
	err := s.read(func(v *view) error {
		for _, c := range v.callbacks {
			if c.Owner == owner && !c.NextAttempt.After(now) && s.mayHandOut(v, c.Holder) {
				list = append(list, *c)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: due callbacks: %w", err)
	}
	slices.SortFunc(list, func(a, b callbackRecord) int {
		return cmp.Or(a.NextAttempt.Compare(b.NextAttempt), strings.Compare(a.ID, b.ID))
	})
	var out []store.Callback
	for _, c := range list {
		if len(out) == limit {
			break
		}
		if c.Holder != s.opt.Instance {
			err := s.changeCallback(context.Background(), c.ID, func(v *view, r *callbackRecord) error {
				if !s.mayHandOut(v, r.Holder) {
					return errNotClaimed
				}
				r.Holder = s.opt.Instance
				return nil
			})
			if errors.Is(err, errNotClaimed) || errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("natsstore: due callbacks: %w", err)
			}
		}
		out = append(out, c.Callback)
	}
	return out, nil
}

// mayHandOut says whether this instance may deliver a callback held by
// holder: none holds it (a callback goes to whichever instance has its
// client bound and asks first), this one does, or its holder is gone.
func (s *Store) mayHandOut(v *view, holder string) bool {
	return holder == "" || holder == s.opt.Instance || !s.alive(v, holder)
}

// NextCallback is when the earliest of owner's callbacks that this
// instance may hand out (its own, or those of an instance gone) is due.
func (s *Store) NextCallback(owner string) (t time.Time, ok bool, err error) {
	err = s.read(func(v *view) error {
		for _, c := range v.callbacks {
			if c.Owner == owner && s.mayHandOut(v, c.Holder) && (!ok || c.NextAttempt.Before(t)) {
				t, ok = c.NextAttempt, true
			}
		}
		return nil
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("natsstore: next callback: %w", err)
	}
	return t, ok, nil
}

// changeCallback applies fn to callback id by compare-and-swap; fn runs
// under the view's read lock.
func (s *Store) changeCallback(ctx context.Context, id string, fn func(v *view, c *callbackRecord) error) error {
	return casRecord(ctx, s, callbackKey(id), func(v *view) (*callbackRecord, error) {
		if c := v.callbacks[id]; c != nil {
			return c, nil
		}
		return nil, store.ErrNotFound
	}, fn)
}

// CallbackDone removes a callback its client has (or that was given up on).
func (s *Store) CallbackDone(ctx context.Context, id string) error {
	k := callbackKey(id)
	var ok bool
	err := s.read(func(v *view) error { ok = v.callbacks[id] != nil; return nil })
	switch {
	case err != nil:
	case !ok:
		err = store.ErrNotFound
	default:
		err = s.remove(ctx, k, 0)
	}
	if err != nil {
		return fmt.Errorf("natsstore: callback done %s: %w", id, err)
	}
	return nil
}

// CallbackRetry counts a failed delivery and makes the callback due again
// at next.
func (s *Store) CallbackRetry(ctx context.Context, id string, next time.Time, reason string) error {
	err := s.changeCallback(ctx, id, func(_ *view, c *callbackRecord) error {
		c.Attempts++
		c.NextAttempt, c.Error = next, reason
		c.Holder = "" // the client may be bound to another instance by then
		return nil
	})
	if err != nil {
		return fmt.Errorf("natsstore: callback retry %s: %w", id, err)
	}
	return nil
}

const maxSetKeyLen = 1024

func segDigest(data []byte) []byte {
	d := sha256.Sum256(data)
	return d[:16]
}

// PutSegment stores s and returns its set as stored then; see
// store.DB.PutSegment. The set is one record, changed by compare-and-swap.
func (s *Store) PutSegment(ctx context.Context, g store.Segment) (store.SegmentSet, error) {
	if g.Set == "" || len(g.Set) > maxSetKeyLen || g.Seq < 1 || g.Seq > 255 || !validID(g.ID) {
		return store.SegmentSet{}, fmt.Errorf("natsstore: put segment: %w: set %q seq %d id %q", store.ErrInvalid, g.Set, g.Seq, g.ID)
	}
	if g.Received.IsZero() {
		g.Received = time.Now()
	}
	digest := segDigest(g.Data)
	k := segKey(g.Set)
	for try := 0; ; try++ {
		var r segRecord
		var rev uint64
		var found bool
		if err := s.read(func(v *view) error {
			if cur := v.segs[g.Set]; cur != nil {
				r, rev, found = *cur, v.keys[k].rev, true
				r.Segments = slices.Clone(cur.Segments)
			}
			return nil
		}); err != nil {
			return store.SegmentSet{}, fmt.Errorf("natsstore: put segment: %w", err)
		}
		if found {
			i := slices.IndexFunc(r.Segments, func(x segment) bool { return x.Seq == g.Seq })
			switch {
			case i >= 0 && (!r.Closed || bytes.Equal(r.Segments[i].Digest, digest)):
				return r.set(g.Set), nil
			case r.Closed:
				r = segRecord{} // the client reused its reference: a new set
			}
		}
		mode := putUpdate
		if !found {
			mode = putCreate
		}
		if r.First.IsZero() {
			r.First = g.Received
		}
		r.Segments = append(r.Segments, segment{Seq: g.Seq, ID: g.ID, Received: g.Received, Digest: digest, Data: g.Data})
		slices.SortFunc(r.Segments, func(a, b segment) int { return a.Seq - b.Seq })
		_, err := s.write(ctx, k, encode(&r), rev, mode)
		if (errors.Is(err, errConflict) || errors.Is(err, store.ErrExists)) && try < maxCAS {
			pause(try)
			if err := s.refresh(ctx, k); err != nil {
				return store.SegmentSet{}, fmt.Errorf("natsstore: put segment: %w", err)
			}
			continue
		}
		if err != nil {
			return store.SegmentSet{}, fmt.Errorf("natsstore: put segment: %w", err)
		}
		return r.set(g.Set), nil
	}
}

func (r *segRecord) set(key string) store.SegmentSet {
	out := store.SegmentSet{Set: key, First: r.First, Closed: r.Closed}
	for _, g := range r.Segments {
		out.Segments = append(out.Segments, store.Segment{Set: key, Seq: g.Seq, ID: g.ID, Data: g.Data, Received: g.Received})
	}
	return out
}

// CloseSegments closes set and enqueues m with its watch w (when m is not
// nil) and queues calls; a set closed already is forgotten instead (m must
// be nil then: store.ErrState). The callbacks and the message are written
// before the set is closed: a crash between leaves the set open, to be
// closed again, rather than its message lost.
func (s *Store) CloseSegments(ctx context.Context, set string, m *store.Message, w store.Watch, calls []store.Callback) error {
	if err := s.closeSegments(ctx, set, m, w, calls); err != nil {
		return fmt.Errorf("natsstore: close segments %q: %w", set, err)
	}
	return nil
}

func (s *Store) closeSegments(ctx context.Context, set string, m *store.Message, w store.Watch, calls []store.Callback) error {
	var pm *prepared
	if m != nil {
		var err error
		if pm, err = s.prepare(m, &w); err != nil {
			return err
		}
	}
	k := segKey(set)
	current := func() (segRecord, uint64, error) {
		var r segRecord
		var rev uint64
		err := s.read(func(v *view) error {
			cur := v.segs[set]
			if cur == nil {
				return store.ErrNotFound
			}
			r, rev = *cur, v.keys[k].rev
			r.Segments = slices.Clone(cur.Segments)
			return nil
		})
		return r, rev, err
	}
	r, _, err := current()
	if err != nil {
		return err
	}
	if r.Closed && m != nil {
		return store.ErrState
	}
	if err := s.queueCallbacks(ctx, calls, "close "+set); err != nil {
		return err
	}
	if pm != nil {
		// ErrExists: this close, tried again, had enqueued it before.
		if err := s.commit(ctx, pm); err != nil && !errors.Is(err, store.ErrExists) {
			return err
		}
	}
	return s.retryConflicts(ctx, k, func() error {
		r, rev, err := current()
		if err != nil {
			return err
		}
		if r.Closed {
			return s.remove(ctx, k, rev)
		}
		r.Closed = true
		for i := range r.Segments {
			r.Segments[i].Data = nil
		}
		_, err = s.write(ctx, k, encode(&r), rev, putUpdate)
		return err
	})
}

// StaleSegments lists the sets first stored before before, open or
// closed, oldest first, at most limit.
func (s *Store) StaleSegments(before time.Time, limit int) ([]store.SegmentSet, error) {
	var out []store.SegmentSet
	err := s.read(func(v *view) error {
		var sets []string
		for set, r := range v.segs {
			if r.First.Before(before) {
				sets = append(sets, set)
			}
		}
		slices.SortFunc(sets, func(a, b string) int {
			return cmp.Or(v.segs[a].First.Compare(v.segs[b].First), strings.Compare(a, b))
		})
		for _, set := range sets[:min(len(sets), max(limit, 0))] {
			out = append(out, v.segs[set].set(set))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: stale segments: %w", err)
	}
	return out, nil
}
