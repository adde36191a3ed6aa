package natsstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

// Begin records an attempt before it is made: each listed part still
// queued becomes submitting, held by this instance, with Attempts+1 and
// Transport set. Parts not queued (begun by another instance, gone) are
// returned in skipped. Each recipient's parts are one compare-and-swap.
func (s *Store) Begin(ctx context.Context, keys []store.PartKey, transport string, now time.Time) (skipped []store.PartKey, err error) {
	if err := validTransport(transport); err != nil {
		return nil, err
	}
	var order []store.RcptKey
	byRcpt := map[store.RcptKey][]store.PartKey{}
	seen := map[store.PartKey]bool{}
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		rk := rcptOf(k)
		if byRcpt[rk] == nil {
			order = append(order, rk)
		}
		byRcpt[rk] = append(byRcpt[rk], k)
	}
	begun := map[store.PartKey]bool{}
	for _, rk := range order {
		var mine []store.PartKey
		err := s.change(ctx, rk, func(_ *msgRecord, r *rcptRecord) (bool, error) {
			mine = nil
			for _, k := range byRcpt[rk] {
				p, err := partOf(r, k)
				if err != nil || p.State != store.PartQueued {
					continue
				}
				p.State, p.Owner = store.PartSubmitting, s.opt.Instance
				p.Attempts++
				p.Transport, p.TransportID, p.Updated = transport, "", now
				mine = append(mine, k)
			}
			return len(mine) > 0, nil
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("natsstore: begin: %w", err)
		}
		for _, k := range mine {
			begun[k] = err == nil
		}
	}
	for _, k := range keys {
		if !begun[k] && !slices.Contains(skipped, k) {
			skipped = append(skipped, k)
		}
	}
	return skipped, nil
}

// Submitted records that the network accepted part k (submitting) under
// transportID. The id's record is written first, so that a receipt on any
// instance finds the part as soon as the part says it was submitted.
func (s *Store) Submitted(ctx context.Context, k store.PartKey, transportID string, now time.Time) error {
	err := s.submitted(ctx, k, transportID, now)
	if err != nil {
		return fmt.Errorf("natsstore: submitted %s: %w", k, err)
	}
	return nil
}

func (s *Store) submitted(ctx context.Context, k store.PartKey, transportID string, now time.Time) error {
	if transportID != "" {
		var transport string
		err := s.read(func(v *view) error {
			r := v.rcpts[rcptOf(k)]
			if r == nil || !v.visible(k.Msg) {
				return fmt.Errorf("part %s: %w", k, store.ErrNotFound)
			}
			p, err := partOf(r, k)
			if err != nil {
				return err
			}
			if p.State != store.PartSubmitting {
				return fmt.Errorf("%w: part is %s", store.ErrState, p.State)
			}
			transport = p.Transport
			return nil
		})
		if err != nil {
			return err
		}
		if err := s.writeTID(ctx, transport, transportID, k); err != nil {
			return err
		}
	}
	return s.change(ctx, rcptOf(k), func(_ *msgRecord, r *rcptRecord) (bool, error) {
		p, err := partOf(r, k)
		if err != nil {
			return false, err
		}
		if p.State != store.PartSubmitting {
			return false, fmt.Errorf("%w: part is %s", store.ErrState, p.State)
		}
		p.State, p.TransportID, p.Updated = store.PartSubmitted, transportID, now
		return true, nil
	})
}

func (s *Store) writeTID(ctx context.Context, transport, id string, k store.PartKey) error {
	_, err := s.write(ctx, tidKey(transport, id), encode(tidRecord{Msg: k.Msg, Rcpt: k.Rcpt, Part: k.Part}), 0, putAny)
	return err
}

// Retry puts part k (queued, submitting or submitted) back in the queue,
// due at next, with reason as its last error.
func (s *Store) Retry(ctx context.Context, k store.PartKey, next time.Time, reason string, now time.Time) error {
	if err := s.requeue(ctx, k, next, reason, now, 0, store.PartQueued, store.PartSubmitting, store.PartSubmitted); err != nil {
		return fmt.Errorf("natsstore: retry %s: %w", k, err)
	}
	return nil
}

// RetryInDoubt is Retry of a part submitting whose send's outcome is
// unknown; it counts the send in Part.InDoubt.
func (s *Store) RetryInDoubt(ctx context.Context, k store.PartKey, next time.Time, reason string, now time.Time) error {
	if err := s.requeue(ctx, k, next, reason, now, 1, store.PartSubmitting); err != nil {
		return fmt.Errorf("natsstore: retry in doubt %s: %w", k, err)
	}
	return nil
}

func (s *Store) requeue(ctx context.Context, k store.PartKey, next time.Time, reason string, now time.Time, inDoubt int, states ...store.PartState) error {
	return s.change(ctx, rcptOf(k), func(_ *msgRecord, r *rcptRecord) (bool, error) {
		p, err := partOf(r, k)
		if err != nil {
			return false, err
		}
		if !slices.Contains(states, p.State) {
			return false, fmt.Errorf("%w: part is %s", store.ErrState, p.State)
		}
		p.State, p.NextAttempt, p.TransportID, p.Error, p.Updated = store.PartQueued, next, "", reason, now
		p.InDoubt += inDoubt
		return true, nil
	})
}

// Finish gives part k a final state with reason as its status text;
// rcptDone is true when this call made the recipient's last open part
// final. A part final already is left alone: (false, nil).
func (s *Store) Finish(ctx context.Context, k store.PartKey, state store.PartState, reason string, now time.Time) (rcptDone bool, err error) {
	return s.finish(ctx, k, state, "", reason, now)
}

// FinishReceipt is Finish for a part a delivery receipt made final, with
// the network's state in Part.Receipt.
func (s *Store) FinishReceipt(ctx context.Context, k store.PartKey, state store.PartState, receipt, reason string, now time.Time) (rcptDone bool, err error) {
	return s.finish(ctx, k, state, receipt, reason, now)
}

func (s *Store) finish(ctx context.Context, k store.PartKey, state store.PartState, receipt, reason string, now time.Time) (bool, error) {
	if !state.Final() || state > store.PartCancelled {
		return false, fmt.Errorf("natsstore: finish %s: %w: %s is not a final state", k, store.ErrInvalid, state)
	}
	var done bool
	err := s.change(ctx, rcptOf(k), func(_ *msgRecord, r *rcptRecord) (bool, error) {
		done = false
		p, err := partOf(r, k)
		if err != nil || p.State.Final() {
			return false, err
		}
		p.State, p.Error, p.Receipt, p.Updated = state, reason, receipt, now
		done = r.pending() == 0
		return true, nil
	})
	if err != nil {
		return false, fmt.Errorf("natsstore: finish %s: %w", k, err)
	}
	return done, nil
}

// LateID records that the network accepted a send of part k under id on
// transport after the gateway had given up waiting; see store.DB.LateID.
func (s *Store) LateID(ctx context.Context, k store.PartKey, transport, id string, now time.Time) (store.LateOutcome, error) {
	if err := validTransport(transport); err != nil {
		return 0, err
	}
	if err := s.writeTID(ctx, transport, id, k); err != nil {
		return 0, fmt.Errorf("natsstore: late id %s: %w", k, err)
	}
	var out store.LateOutcome
	err := s.change(ctx, rcptOf(k), func(_ *msgRecord, r *rcptRecord) (bool, error) {
		p, err := partOf(r, k)
		if err != nil {
			return false, err
		}
		if (p.Transport == transport && p.TransportID == id) || (p.AlsoTransport == transport && p.AlsoID == id) {
			out = store.LateKept
			return false, nil
		}
		p.Updated = now
		switch p.State {
		case store.PartQueued:
			out = store.LateSubmitted
			p.State, p.Transport, p.TransportID, p.Error = store.PartSubmitted, transport, id, ""
			p.InDoubt = max(p.InDoubt-1, 0) // that send is no longer in doubt
		case store.PartSubmitting, store.PartSubmitted, store.PartDelivered:
			out = store.LateDuplicate
			p.AlsoTransport, p.AlsoID = transport, id
		default:
			out = store.LateKept
			p.AlsoTransport, p.AlsoID = transport, id
		}
		return true, nil
	})
	if err != nil {
		return 0, fmt.Errorf("natsstore: late id %s: %w", k, err)
	}
	return out, nil
}

// Recover is called once at start: this instance's parts left submitting
// by its crash (they may or may not have reached the network) go back to
// the queue, due at now, counted in doubt. Parts of no instance (imported)
// count as this one's.
func (s *Store) Recover(now time.Time) ([]store.PartKey, error) {
	keys, err := s.inDoubt(context.Background(), now, "attempt in doubt after restart", func(_ *view, owner string) bool {
		return owner == s.opt.Instance || owner == ""
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: recover: %w", err)
	}
	return keys, nil
}

// Takeover puts back in the queue, in doubt as Recover does, the parts
// submitting of instances whose heartbeat this one has not seen for the
// lease. The store calls it every third of the lease.
func (s *Store) Takeover(ctx context.Context, now time.Time) ([]store.PartKey, error) {
	keys, err := s.inDoubt(ctx, now, "attempt in doubt: its instance is gone", func(v *view, owner string) bool {
		return owner != "" && !s.alive(v, owner)
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: takeover: %w", err)
	}
	return keys, nil
}

func (s *Store) inDoubt(ctx context.Context, now time.Time, reason string, take func(v *view, owner string) bool) ([]store.PartKey, error) {
	byRcpt := map[store.RcptKey]bool{}
	err := s.read(func(v *view) error {
		for k, owner := range v.submitting {
			if take(v, owner) {
				byRcpt[rcptOf(k)] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []store.PartKey
	for rk := range byRcpt {
		var mine []store.PartKey
		err := s.change(ctx, rk, func(_ *msgRecord, r *rcptRecord) (bool, error) {
			mine = nil
			for i := range r.Parts {
				p := &r.Parts[i]
				if p.State != store.PartSubmitting {
					continue
				}
				var ok bool
				_ = s.read(func(v *view) error { ok = take(v, p.Owner); return nil })
				if !ok {
					continue
				}
				p.State, p.NextAttempt, p.Error, p.Updated = store.PartQueued, now, reason, now
				p.InDoubt++ // it may have reached the network: one send in doubt
				mine = append(mine, store.PartKey{Msg: rk.Msg, Rcpt: rk.Rcpt, Part: i})
			}
			return len(mine) > 0, nil
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return out, err
		}
		if err == nil {
			out = append(out, mine...)
		}
	}
	slices.SortFunc(out, cmpPart)
	return out, nil
}
