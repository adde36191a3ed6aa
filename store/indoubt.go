package store

import (
	"bytes"
	"context"
	"fmt"
	"time"
)

// RetryInDoubt puts part k (submitting) back in the queue, due at next,
// after a send whose outcome is unknown: like Retry, and it counts the send
// in Part.InDoubt.
func (db *DB) RetryInDoubt(ctx context.Context, k PartKey, next time.Time, reason string, now time.Time) error {
	err := db.do(ctx, "retry in doubt", 64+len(reason), func(w *wtx) error {
		return w.requeue(k, next, reason, now, 1, PartSubmitting)
	})
	if err != nil {
		return fmt.Errorf("store: retry in doubt %s: %w", k, err)
	}
	return nil
}

// requeue puts part k, in one of states, back in the queue due at next,
// adding inDoubt to its sends in doubt.
func (w *wtx) requeue(k PartKey, next time.Time, reason string, now time.Time, inDoubt int, states ...PartState) error {
	old, err := w.partIn(k, states...)
	if err != nil {
		return err
	}
	p := old
	p.State = PartQueued
	p.NextAttempt = next
	p.TransportID = ""
	p.Error = reason
	p.InDoubt += inDoubt
	p.Updated = now
	return w.move(k, &old, &p)
}

// LateOutcome is what LateID made of a late acceptance.
type LateOutcome uint8

const (
	// LateSubmitted: the part was waiting to be sent again; it is submitted
	// under the late id instead, and not sent again.
	LateSubmitted LateOutcome = iota + 1
	// LateDuplicate: the part had been or was being sent again; the late id
	// is kept beside the other (Part.AlsoID) and the phone may get it twice.
	LateDuplicate
	// LateKept: the part was final without another accepted send (it failed
	// in doubt, say); the id is kept for the record.
	LateKept
)

// LateID records that the network accepted a send of part k under id on
// transport after the gateway had given up waiting for its answer. It
// reports the outcome; an id already recorded for k changes nothing and
// reports LateKept.
func (db *DB) LateID(ctx context.Context, k PartKey, transport, id string, now time.Time) (LateOutcome, error) {
	if err := validTransport(transport); err != nil {
		return 0, err
	}
	var out LateOutcome
	err := db.do(ctx, "late id", 64+len(id), func(w *wtx) error {
		old, err := w.partIn(k, PartQueued, PartSubmitting, PartSubmitted, PartDelivered, PartFailed, PartExpired, PartCancelled)
		if err != nil {
			return err
		}
		if (old.Transport == transport && old.TransportID == id) || (old.AlsoTransport == transport && old.AlsoID == id) {
			out = LateKept
			return nil
		}
		p := old
		p.Updated = now
		switch {
		case old.State == PartQueued:
			out = LateSubmitted
			p.State, p.Transport, p.TransportID = PartSubmitted, transport, id
			p.Error = ""
			p.InDoubt = max(p.InDoubt-1, 0) // that send is no longer in doubt
		case old.State == PartSubmitting || old.State == PartSubmitted || old.State == PartDelivered:
			out = LateDuplicate
			p.AlsoTransport, p.AlsoID = transport, id
		default:
			out = LateKept
			p.AlsoTransport, p.AlsoID = transport, id
		}
		return w.move(k, &old, &p) // from submitted to submitted, it re-indexes both ids
	})
	if err != nil {
		return 0, fmt.Errorf("store: late id %s: %w", k, err)
	}
	return out, nil
}

// unindexAlso removes the index entry of p's late id while it names kb.
func (w *wtx) unindexAlso(kb []byte, p *Part) error {
	if p.AlsoID == "" {
		return nil
	}
	tk := tidKey(p.AlsoTransport, p.AlsoID)
	if !bytes.Equal(w.get(bktTID, tk), kb) {
		return nil
	}
	return w.del(bktTID, tk)
}
