package natsstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

// Via reports how recipient k's parts have gone out.
func (s *Store) Via(k store.RcptKey) (store.Via, error) {
	var out store.Via
	err := s.read(func(v *view) error {
		r := v.rcpts[k]
		if r == nil || !v.visible(k.Msg) {
			return fmt.Errorf("recipient %s: %w", k, store.ErrNotFound)
		}
		for _, p := range r.Parts {
			switch p.State {
			case store.PartSubmitting:
				out.InFlight++
			case store.PartSubmitted, store.PartDelivered:
			default:
				continue
			}
			if out.Transport == "" || out.ID == "" && p.TransportID != "" {
				out.Transport, out.ID = p.Transport, p.TransportID
			}
		}
		return nil
	})
	if err != nil {
		return store.Via{}, fmt.Errorf("natsstore: via %s: %w", k, err)
	}
	return out, nil
}

// RequeueRecipient puts every part of recipient k that has gone out
// (submitted or delivered) back in the queue, due at now, keeping the
// transport it went through in MovedFrom; see store.DB.RequeueRecipient.
func (s *Store) RequeueRecipient(ctx context.Context, k store.RcptKey, reason string, now time.Time) (int, error) {
	var n int
	err := s.change(ctx, k, func(_ *msgRecord, r *rcptRecord) (bool, error) {
		n = 0
		wasFinal := r.pending() == 0
		reopened := 0
		for i := range r.Parts {
			p := &r.Parts[i]
			if p.State != store.PartSubmitted && p.State != store.PartDelivered {
				continue
			}
			if p.State == store.PartDelivered {
				reopened++
			}
			p.State, p.NextAttempt, p.MovedFrom = store.PartQueued, now, p.Transport
			p.TransportID, p.Error, p.Updated = "", reason, now
			n++
		}
		if reopened > 0 && wasFinal {
			return false, fmt.Errorf("recipient %s: %w: delivered parts reopened after it was final", k, store.ErrState)
		}
		return n > 0, nil
	})
	if err != nil {
		return 0, fmt.Errorf("natsstore: resend %s: %w", k, err)
	}
	return n, nil
}

// recipients is the number of recipients of message id, ErrNotFound when
// there is no such message.
func (s *Store) recipients(id string) (int, error) {
	var n int
	err := s.read(func(v *view) error {
		m := v.msgs[id]
		if m == nil {
			return fmt.Errorf("message %s: %w", id, store.ErrNotFound)
		}
		n = m.Recipients
		return nil
	})
	return n, err
}

// CancelQueued cancels every part of message id still queued; parts under
// way or sent are left alone. It returns how many it cancelled and the
// recipients it made final.
func (s *Store) CancelQueued(ctx context.Context, id, reason string, now time.Time) (cancelled int, done []store.RcptKey, err error) {
	n, err := s.recipients(id)
	if err != nil {
		return 0, nil, fmt.Errorf("natsstore: cancel %s: %w", id, err)
	}
	for i := range n {
		rk := store.RcptKey{Msg: id, Rcpt: i}
		var c int
		var final bool
		err := s.change(ctx, rk, func(_ *msgRecord, r *rcptRecord) (bool, error) {
			c, final = 0, false
			for j := range r.Parts {
				if p := &r.Parts[j]; p.State == store.PartQueued {
					p.State, p.Error, p.Updated = store.PartCancelled, reason, now
					c++
				}
			}
			final = c > 0 && r.pending() == 0
			return c > 0, nil
		})
		if err != nil {
			return cancelled, done, fmt.Errorf("natsstore: cancel %s: %w", id, err)
		}
		cancelled += c
		if final {
			done = append(done, rk)
		}
	}
	return cancelled, done, nil
}

// RetryQueued makes every queued part of message id due at now and returns
// how many parts are queued.
func (s *Store) RetryQueued(ctx context.Context, id string, now time.Time) (queued int, err error) {
	n, err := s.recipients(id)
	if err != nil {
		return 0, fmt.Errorf("natsstore: retry %s: %w", id, err)
	}
	for i := range n {
		var q int
		err := s.change(ctx, store.RcptKey{Msg: id, Rcpt: i}, func(_ *msgRecord, r *rcptRecord) (bool, error) {
			q = 0
			changed := false
			for j := range r.Parts {
				p := &r.Parts[j]
				if p.State != store.PartQueued {
					continue
				}
				q++
				if p.NextAttempt.After(now) {
					p.NextAttempt, p.Updated = now, now
					changed = true
				}
			}
			return changed, nil
		})
		if err != nil {
			return queued, fmt.Errorf("natsstore: retry %s: %w", id, err)
		}
		queued += q
	}
	return queued, nil
}

// Resend puts the failed and expired parts of message id back in the
// queue, due now with no attempts counted, and gives the message the
// validity expires; their recipients are reported again when they end.
func (s *Store) Resend(ctx context.Context, id string, expires, now time.Time) (queued int, err error) {
	if err := s.setExpires(ctx, id, expires); err != nil {
		return 0, fmt.Errorf("natsstore: resend %s: %w", id, err)
	}
	n, err := s.recipients(id)
	if err != nil {
		return 0, fmt.Errorf("natsstore: resend %s: %w", id, err)
	}
	for i := range n {
		var q int
		err := s.change(ctx, store.RcptKey{Msg: id, Rcpt: i}, func(_ *msgRecord, r *rcptRecord) (bool, error) {
			q = 0
			for j := range r.Parts {
				p := &r.Parts[j]
				if p.State != store.PartFailed && p.State != store.PartExpired {
					continue
				}
				p.State, p.Attempts, p.NextAttempt, p.Error, p.Updated = store.PartQueued, 0, now, "", now
				q++
			}
			if q > 0 {
				r.Reported = false
				r.Gen++
			}
			return q > 0, nil
		})
		if err != nil {
			return queued, fmt.Errorf("natsstore: resend %s: %w", id, err)
		}
		queued += q
	}
	return queued, nil
}

// setExpires gives message id a new validity by compare-and-swap.
func (s *Store) setExpires(ctx context.Context, id string, expires time.Time) error {
	return casRecord(ctx, s, msgKey(id), func(v *view) (*msgRecord, error) {
		if m := v.msgs[id]; m != nil {
			return m, nil
		}
		return nil, fmt.Errorf("message %s: %w", id, store.ErrNotFound)
	}, func(_ *view, m *msgRecord) error {
		m.Expires = expires
		return nil
	})
}

// MarkReported records that recipient k's report has been handed on (or
// that none is due). Marking twice is a no-op; marking before the parts
// are final keeps the recipient out of Unreported later.
func (s *Store) MarkReported(ctx context.Context, k store.RcptKey) error {
	if err := s.markReported(ctx, k); err != nil {
		return fmt.Errorf("natsstore: mark reported %s: %w", k, err)
	}
	return nil
}

func (s *Store) markReported(ctx context.Context, k store.RcptKey) error {
	return s.change(ctx, k, func(_ *msgRecord, r *rcptRecord) (bool, error) {
		if r.Reported {
			return false, nil
		}
		r.Reported = true
		return true, nil
	})
}

// Unreported lists recipients whose parts are all final and whose report
// has not been handed on, oldest message id first, at most limit: those
// this instance holds, and those of instances gone, which it takes over
// first. Each is reported by one instance.
func (s *Store) Unreported(limit int) ([]store.RcptKey, error) {
	var mine, claim []store.RcptKey
	err := s.read(func(v *view) error {
		for _, k := range v.unreported.items {
			if len(mine)+len(claim) == limit {
				break
			}
			switch h := v.rcpts[k].Holder; {
			case h == s.opt.Instance:
				mine = append(mine, k)
			case !s.alive(v, h):
				claim = append(claim, k)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: unreported: %w", err)
	}
	claimed, err := s.claimRcpts(claim, func(r *rcptRecord) bool { return r.pending() == 0 && !r.Reported })
	if err != nil {
		return nil, fmt.Errorf("natsstore: unreported: %w", err)
	}
	mine = append(mine, claimed...)
	slices.SortFunc(mine, cmpRcpt)
	return mine, nil
}

// claimRcpts makes this instance the holder of the recipients in keys
// whose holder is gone and that are still what due says, by
// compare-and-swap; it returns those it got.
func (s *Store) claimRcpts(keys []store.RcptKey, due func(r *rcptRecord) bool) ([]store.RcptKey, error) {
	var got []store.RcptKey
	for _, k := range keys {
		err := s.change(context.Background(), k, func(_ *msgRecord, r *rcptRecord) (bool, error) {
			var dead bool
			_ = s.read(func(v *view) error { dead = !s.alive(v, r.Holder); return nil })
			if !due(r) || !dead {
				return false, errNotClaimed
			}
			r.Holder = s.opt.Instance
			return true, nil
		})
		switch {
		case err == nil:
			got = append(got, k)
		case !errors.Is(err, errNotClaimed) && !errors.Is(err, store.ErrNotFound):
			return got, err
		}
	}
	return got, nil
}

// errNotClaimed: another instance holds what was to be claimed.
var errNotClaimed = errors.New("natsstore: held by another instance")

// Purge deletes messages whose recipients are all final and reported and
// that were received before before, with everything that names them. The
// message record goes first: the message is gone at once, and what a cut
// short Purge leaves is swept as orphans.
func (s *Store) Purge(ctx context.Context, before time.Time) (int, error) {
	var ids []string
	err := s.read(func(v *view) error {
		for _, t := range v.purgeable.items {
			if !t.t.Before(before) {
				break
			}
			ids = append(ids, t.id)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("natsstore: purge: %w", err)
	}
	n := 0
	for _, id := range ids {
		var keys []string
		var rev uint64
		err := s.read(func(v *view) error {
			c := v.msgIdx[id]
			m := v.msgs[id]
			if c == nil || !c.purgeable || m == nil {
				return nil
			}
			rev = v.keys[msgKey(id)].rev
			for i := range m.Recipients {
				keys = append(keys, rcptKey(store.RcptKey{Msg: id, Rcpt: i}))
			}
			for i := range m.Original {
				keys = append(keys, origKey(id, i))
			}
			if _, ok := v.rev(watchKey(id)); ok {
				keys = append(keys, watchKey(id))
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("natsstore: purge: %w", err)
		}
		if rev == 0 {
			continue
		}
		err = s.remove(ctx, msgKey(id), rev)
		if errors.Is(err, errConflict) {
			continue // it changed meanwhile: the next purge decides again
		}
		if err != nil {
			return n, fmt.Errorf("natsstore: purge %s: %w", id, err)
		}
		n++
		for _, k := range keys {
			if err := s.drop(ctx, k); err != nil {
				return n, fmt.Errorf("natsstore: purge %s: %w", id, err)
			}
		}
	}
	return n, nil
}
