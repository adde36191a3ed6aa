package store

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/smsbridge/smsbridge/priority"
)

// The due index is ordered by class, then time: each key is the class's
// rank byte, NextAttempt and the part key, so the next urgent part is the
// first key of rank 0 however long the bulk backlog behind it is.
const dueKeyLen = 1 + timeKeyLen

// bktDueV1 is the due index before classes (NextAttempt + partKey). Open
// moves its entries into bktDue.
var bktDueV1 = []byte("due")

func dueKey(c priority.Class, t time.Time, partKey []byte) []byte {
	k := make([]byte, 0, dueKeyLen+len(partKey))
	k = append(k, byte(c.Rank()))
	k = append(k, timeKey(t)...)
	return append(k, partKey...)
}

// dueEntry splits a due key into its rank, time and part key bytes.
func dueEntry(k []byte) (rank int, t time.Time, partKey []byte, err error) {
	if len(k) < dueKeyLen || int(k[0]) >= len(priority.Classes) {
		return 0, time.Time{}, nil, fmt.Errorf("%w: due key %x", ErrCorrupt, k)
	}
	return int(k[0]), timeFromKey(k[1:dueKeyLen]), k[dueKeyLen:], nil
}

// dueScan calls fn for due entries of class c with NextAttempt <= now, in
// time order, until fn returns false. It never reads another class's keys.
func dueScan(c *bolt.Cursor, class priority.Class, now time.Time, fn func(k []byte) bool) {
	prefix := []byte{byte(class.Rank())}
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) >= dueKeyLen && timeFromKey(k[1:dueKeyLen]).After(now) {
			return
		}
		if !fn(k) {
			return
		}
	}
}

// migrateDueIndex moves the entries of the index written before classes
// into the class-ordered one and drops the old bucket. Messages stored
// then are all normal. It runs once, at Open, in one transaction.
func migrateDueIndex(tx *bolt.Tx) (moved int, err error) {
	old := tx.Bucket(bktDueV1)
	if old == nil {
		return 0, nil
	}
	due := tx.Bucket(bktDue)
	err = old.ForEach(func(k, _ []byte) error {
		if len(k) < timeKeyLen {
			return fmt.Errorf("%w: old due key %x", ErrCorrupt, k)
		}
		class := priority.Normal
		if pk, err := parsePartKey(k[timeKeyLen:]); err == nil {
			if m, err := loadMsg(tx, pk.Msg, false); err == nil {
				class = m.Class
			}
		}
		moved++
		return due.Put(dueKey(class, timeFromKey(k), k[timeKeyLen:]), []byte{})
	})
	if err != nil {
		return 0, fmt.Errorf("migrating the due index: %w", err)
	}
	if err := tx.DeleteBucket(bktDueV1); err != nil {
		return 0, fmt.Errorf("migrating the due index: %w", err)
	}
	return moved, nil
}

// DueIn lists queued parts of one class with NextAttempt <= now, earliest
// first, at most limit; see Due.
func (db *DB) DueIn(class priority.Class, now time.Time, limit int) ([]DuePart, error) {
	return db.due(now, limit, class)
}

// NextDue is the earliest NextAttempt of any queued part; ok is false when
// nothing is queued.
func (db *DB) NextDue() (t time.Time, ok bool, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bktDue).Cursor()
		for _, class := range priority.Classes {
			prefix := []byte{byte(class.Rank())}
			k, _ := c.Seek(prefix)
			if k == nil || !bytes.HasPrefix(k, prefix) {
				continue
			}
			_, next, _, err := dueEntry(k)
			if err != nil {
				return err
			}
			if !ok || next.Before(t) {
				t, ok = next, true
			}
		}
		return nil
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: next due: %w", err)
	}
	return t, ok, nil
}
