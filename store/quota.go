package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bktQuota holds per-SIM send counts: simKey 'D' YYYYMMDD and simKey 'M'
// YYYYMM → uint64. It is made on first use so older files need nothing.
var bktQuota = []byte("quota")

// Counts older than these are pruned when a SIM's count changes.
const (
	quotaKeepDays   = 62
	quotaKeepMonths = 24
)

func quotaKey(sim string, kind byte, period string) []byte {
	k := make([]byte, 0, 2+len(sim)+len(period))
	k = append(k, byte(len(sim)))
	k = append(k, sim...)
	k = append(k, kind)
	return append(k, period...)
}

func quotaPeriods(day time.Time) (d, m string) { return day.Format("20060102"), day.Format("200601") }

// QuotaAdd adds n sends to sim's counts for the calendar day and month of
// day (in day's location) and returns the new counts. It is durable when it
// returns, like every change.
func (db *DB) QuotaAdd(ctx context.Context, sim string, day time.Time, n int) (dayCount, monthCount int, err error) {
	if !validID(sim) || n < 0 {
		return 0, 0, fmt.Errorf("%w: quota of SIM %q by %d", ErrInvalid, sim, n)
	}
	dp, mp := quotaPeriods(day)
	err = db.do(ctx, "quota", 64, func(w *wtx) error {
		w.wrote = true
		b, err := w.tx.CreateBucketIfNotExists(bktQuota)
		if err != nil {
			return fmt.Errorf("bucket %s: %w", bktQuota, err)
		}
		if dayCount, err = addCount(b, quotaKey(sim, 'D', dp), n); err != nil {
			return err
		}
		if monthCount, err = addCount(b, quotaKey(sim, 'M', mp), n); err != nil {
			return err
		}
		return pruneQuota(b, sim, day)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("store: quota of %s: %w", sim, err)
	}
	return dayCount, monthCount, nil
}

// QuotaGet returns sim's counts for the day and month of day.
func (db *DB) QuotaGet(_ context.Context, sim string, day time.Time) (dayCount, monthCount int, err error) {
	if !validID(sim) {
		return 0, 0, fmt.Errorf("%w: SIM %q", ErrInvalid, sim)
	}
	dp, mp := quotaPeriods(day)
	err = db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bktQuota)
		if b == nil {
			return nil
		}
		dayCount = readCount(b.Get(quotaKey(sim, 'D', dp)))
		monthCount = readCount(b.Get(quotaKey(sim, 'M', mp)))
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("store: quota of %s: %w", sim, err)
	}
	return dayCount, monthCount, nil
}

// readCount reads a stored count; a damaged one counts from zero rather
// than keep a SIM from sending at all.
func readCount(v []byte) int {
	if len(v) != 8 {
		return 0
	}
	return int(min(binary.BigEndian.Uint64(v), 1<<62))
}

func addCount(b *bolt.Bucket, k []byte, n int) (int, error) {
	c := readCount(b.Get(k)) + n
	if err := b.Put(k, binary.BigEndian.AppendUint64(nil, uint64(c))); err != nil {
		return 0, fmt.Errorf("put %s: %w", bktQuota, err)
	}
	return c, nil
}

// pruneQuota deletes sim's counts of days and months long past; keys sort
// by date within a SIM's prefix.
func pruneQuota(b *bolt.Bucket, sim string, day time.Time) error {
	dp, _ := quotaPeriods(day.AddDate(0, 0, -quotaKeepDays))
	_, mp := quotaPeriods(day.AddDate(0, -quotaKeepMonths, 0))
	var old [][]byte
	for kind, before := range map[byte]string{'D': dp, 'M': mp} {
		prefix := quotaKey(sim, kind, "")
		limit := quotaKey(sim, kind, before)
		c := b.Cursor()
		for k, _ := c.Seek(prefix); k != nil && len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix) && string(k) < string(limit); k, _ = c.Next() {
			old = append(old, append([]byte(nil), k...))
		}
	}
	for _, k := range old {
		if err := b.Delete(k); err != nil {
			return fmt.Errorf("delete %s: %w", bktQuota, err)
		}
	}
	return nil
}
