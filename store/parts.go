package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Begin records an attempt before it is made: each listed part in state
// queued becomes submitting, with Attempts+1 and Transport set, and leaves
// the due index — all in one durable commit. Parts not queued (or gone) are
// left alone and returned in skipped. On a ctx error the attempt may still
// have been recorded; Recover puts such parts back in the queue.
func (db *DB) Begin(ctx context.Context, keys []PartKey, transport string, now time.Time) (skipped []PartKey, err error) {
	if err := validTransport(transport); err != nil {
		return nil, err
	}
	var out []PartKey
	err = db.do(ctx, "begin", 64*len(keys), func(w *wtx) error {
		out = nil
		seen := make(map[PartKey]bool, len(keys))
		for _, k := range keys {
			if seen[k] {
				continue
			}
			seen[k] = true
			ok, err := w.begin(k, transport, now)
			if err != nil {
				return err
			}
			if !ok {
				out = append(out, k)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: begin: %w", err)
	}
	return out, nil
}

func (w *wtx) begin(k PartKey, transport string, now time.Time) (bool, error) {
	if !validPartKey(k) {
		return false, nil
	}
	old, err := loadPart(w.tx, partKeyBytes(k), k)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if old.State != PartQueued {
		return false, nil
	}
	p := old
	p.State = PartSubmitting
	p.Attempts++
	p.Transport = transport
	p.TransportID = ""
	p.Updated = now
	return true, w.move(k, &old, &p)
}

// Submitted records that the network accepted part k (state submitting)
// under transportID, and indexes that id for Lookup. An empty transportID
// (a transport without ids) is stored but not indexed.
func (db *DB) Submitted(ctx context.Context, k PartKey, transportID string, now time.Time) error {
	err := db.do(ctx, "submitted", 64+len(transportID), func(w *wtx) error {
		old, err := w.partIn(k, PartSubmitting)
		if err != nil {
			return err
		}
		p := old
		p.State = PartSubmitted
		p.TransportID = transportID
		p.Updated = now
		return w.move(k, &old, &p)
	})
	if err != nil {
		return fmt.Errorf("store: submitted %s: %w", k, err)
	}
	return nil
}

// Retry puts part k (queued, submitting or submitted) back in the queue,
// due at next, with reason as its last error.
func (db *DB) Retry(ctx context.Context, k PartKey, next time.Time, reason string, now time.Time) error {
	err := db.do(ctx, "retry", 64+len(reason), func(w *wtx) error {
		return w.requeue(k, next, reason, now, 0, PartQueued, PartSubmitting, PartSubmitted)
	})
	if err != nil {
		return fmt.Errorf("store: retry %s: %w", k, err)
	}
	return nil
}

// Finish gives part k a final state (delivered, failed, expired, cancelled)
// with reason as its status text. rcptDone is true when this call made the
// recipient's last non-final part final. A part already final is left as it
// is: (false, nil).
func (db *DB) Finish(ctx context.Context, k PartKey, state PartState, reason string, now time.Time) (rcptDone bool, err error) {
	return db.finish(ctx, k, state, "", reason, now)
}

func (db *DB) finish(ctx context.Context, k PartKey, state PartState, receipt, reason string, now time.Time) (rcptDone bool, err error) {
	if !state.Final() || state > PartCancelled {
		return false, fmt.Errorf("store: finish %s: %w: %s is not a final state", k, ErrInvalid, state)
	}
	var done bool
	err = db.do(ctx, "finish", 64+len(reason), func(w *wtx) error {
		done = false
		old, err := w.partIn(k, PartQueued, PartSubmitting, PartSubmitted, PartDelivered, PartFailed, PartExpired, PartCancelled)
		if err != nil || old.State.Final() {
			return err
		}
		p := old
		p.State = state
		p.Error = reason
		p.Receipt = receipt
		p.Updated = now
		if err := w.move(k, &old, &p); err != nil {
			return err
		}
		done, err = w.rcptFinal(RcptKey{Msg: k.Msg, Rcpt: k.Rcpt})
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: finish %s: %w", k, err)
	}
	return done, nil
}

// partIn loads part k and checks that it is in one of the given states.
func (w *wtx) partIn(k PartKey, states ...PartState) (Part, error) {
	if !validPartKey(k) {
		return Part{}, fmt.Errorf("part %s: %w", k, ErrNotFound)
	}
	p, err := loadPart(w.tx, partKeyBytes(k), k)
	if err != nil {
		return Part{}, err
	}
	for _, s := range states {
		if p.State == s {
			return p, nil
		}
	}
	return Part{}, fmt.Errorf("%w: part is %s", ErrState, p.State)
}

// Recover is called once at start, before any dispatch: every part left
// submitting by a crash (it may or may not have reached the network) goes
// back to the queue, due at now. It returns their keys so the caller can log
// the possible duplicates. A submitting part that no longer decodes is moved
// out of the queue into the corrupt bucket and logged.
func (db *DB) Recover(now time.Time) ([]PartKey, error) {
	var out []PartKey
	err := db.do(context.Background(), "recover", 0, func(w *wtx) error {
		out = nil
		var raw [][]byte
		c := w.tx.Bucket(bktSubmitting).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			raw = append(raw, append([]byte(nil), k...))
		}
		for _, kb := range raw {
			k, err := w.recoverPart(kb, now)
			if err != nil {
				return err
			}
			if k != nil {
				out = append(out, *k)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: recover: %w", err)
	}
	return out, nil
}

func (w *wtx) recoverPart(kb []byte, now time.Time) (*PartKey, error) {
	k, err := parsePartKey(kb)
	var old Part
	if err == nil {
		old, err = loadPart(w.tx, kb, k)
	}
	if err != nil {
		return nil, w.quarantine(bktSubmitting, kb, kb, err)
	}
	if old.State != PartSubmitting {
		// A stale index entry: the part moved on; the entry only misleads.
		return nil, w.del(bktSubmitting, kb)
	}
	p := old
	p.State = PartQueued
	p.NextAttempt = now
	p.Error = "attempt in doubt after restart"
	p.InDoubt++ // it may have reached the network: one send in doubt
	p.Updated = now
	return &k, w.move(k, &old, &p)
}

// quarantine removes an index entry whose part cannot be read, and keeps
// the part key with the reason in the corrupt bucket for an operator.
func (w *wtx) quarantine(bkt, entry, partKey []byte, cause error) error {
	if len(partKey) == 0 { // the entry itself is mangled: keep all of it
		partKey = entry
	}
	w.log.Error("part taken out of the queue: unreadable", "key", fmt.Sprintf("%x", partKey), "err", cause)
	if err := w.del(bkt, entry); err != nil {
		return err
	}
	return w.put(bktCorrupt, append([]byte(nil), partKey...), []byte(cause.Error()))
}
