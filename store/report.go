package store

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Unreported lists recipients whose parts are all final and whose report
// has not been handed on yet, oldest message id first, at most limit.
func (db *DB) Unreported(limit int) ([]RcptKey, error) {
	var out []RcptKey
	err := db.view(func(tx *bolt.Tx) error {
		out = nil
		c := tx.Bucket(bktUnreported).Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			rk, err := parseRcptKey(k)
			if err != nil {
				return err
			}
			out = append(out, rk)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: unreported: %w", err)
	}
	return out, nil
}

// MarkReported records that recipient k's report has been handed on (or
// that none is due). Marking twice is a no-op. Marking before the parts are
// final keeps the recipient out of Unreported later.
func (db *DB) MarkReported(ctx context.Context, k RcptKey) error {
	err := db.do(ctx, "mark-reported", 32, func(w *wtx) error { return w.markReported(k) })
	if err != nil {
		return fmt.Errorf("store: mark reported %s: %w", k, err)
	}
	return nil
}

func (w *wtx) markReported(k RcptKey) error {
	if !validRcptKey(k) {
		return fmt.Errorf("recipient %s: %w", k, ErrNotFound)
	}
	kb := rcptKeyBytes(k)
	r, err := loadRcpt(w.tx, kb, k)
	if err != nil || r.Reported {
		return err
	}
	r.Reported = true
	if err := w.put(bktRcpt, kb, encodeRcpt(&r)); err != nil {
		return err
	}
	if r.Pending > 0 {
		return nil
	}
	if err := w.del(bktUnreported, kb); err != nil {
		return err
	}
	return w.rcptClosed(k.Msg)
}

// Overdue lists parts still submitted (no receipt came) whose message
// expired before t, earliest expiry first, at most limit.
func (db *DB) Overdue(t time.Time, limit int) ([]PartKey, error) {
	var out []PartKey
	err := db.view(func(tx *bolt.Tx) error {
		out = nil
		end := timeKey(t)
		c := tx.Bucket(bktOverdue).Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			if len(k) < timeKeyLen {
				return fmt.Errorf("%w: overdue key %x", ErrCorrupt, k)
			}
			if bytes.Compare(k[:timeKeyLen], end) >= 0 {
				break
			}
			pk, err := parsePartKey(k[timeKeyLen:])
			if err != nil {
				return err
			}
			out = append(out, pk)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: overdue: %w", err)
	}
	return out, nil
}

// Stats counts parts by state, every state present. The counts are kept up
// to date by each change, so this costs no scan.
func (db *DB) Stats() (map[PartState]int, error) {
	out := make(map[PartState]int, int(PartCancelled))
	err := db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bktStats)
		for s := PartQueued; s <= PartCancelled; s++ {
			v := b.Get([]byte{byte(s)})
			n, err := decodeStat(v)
			if err != nil {
				return fmt.Errorf("count of %s: %w", s, err)
			}
			out[s] = n
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: stats: %w", err)
	}
	return out, nil
}
