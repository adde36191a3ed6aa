package store

import (
	"bytes"
	"context"
	"fmt"
	"time"
)

// purgeChunk bounds one purge transaction, so purging never holds up the
// queue's other writers for long.
const purgeChunk = 256

// Purge deletes messages whose recipients are all final and reported and
// that were received before before. It returns how many it deleted; on a
// ctx error those already deleted stay deleted.
func (db *DB) Purge(ctx context.Context, before time.Time) (int, error) {
	total := 0
	end := timeKey(before)
	for {
		var n int
		err := db.do(ctx, "purge", purgeChunk*1024, func(w *wtx) error {
			var err error
			n, err = w.purge(end)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("store: purge: %w", err)
		}
		total += n
		if n < purgeChunk {
			return total, nil
		}
	}
}

// purge deletes up to purgeChunk purgeable messages received before end.
func (w *wtx) purge(end []byte) (int, error) {
	var entries [][]byte
	c := w.tx.Bucket(bktPurgeable).Cursor()
	for k, _ := c.First(); k != nil && len(entries) < purgeChunk; k, _ = c.Next() {
		if bytes.Compare(k[:min(timeKeyLen, len(k))], end) >= 0 {
			break
		}
		entries = append(entries, append([]byte(nil), k...))
	}
	for _, e := range entries {
		if err := w.purgeMessage(e); err != nil {
			return 0, err
		}
	}
	return len(entries), nil
}

// purgeMessage deletes one message with its recipients and parts. All its
// parts are final, so no index but the purge index names them.
func (w *wtx) purgeMessage(entry []byte) error {
	if err := w.del(bktPurgeable, entry); err != nil {
		return err
	}
	if len(entry) <= timeKeyLen {
		return nil
	}
	mk := entry[timeKeyLen:]
	for _, bkt := range [][]byte{bktPart, bktRcpt} {
		if err := w.deletePrefix(bkt, mk); err != nil {
			return err
		}
	}
	if err := w.del(bktOriginal, mk); err != nil {
		return err
	}
	if err := w.del(bktCampaign, entry); err != nil {
		return err
	}
	return w.del(bktMsg, mk)
}

func (w *wtx) deletePrefix(bkt, prefix []byte) error {
	var keys [][]byte
	c := w.tx.Bucket(bkt).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if bytes.Equal(bkt, bktPart) {
			if p, err := decodePart(v); err == nil {
				w.count(p.State, -1)
			}
		}
		keys = append(keys, append([]byte(nil), k...))
	}
	for _, k := range keys {
		if err := w.del(bkt, k); err != nil {
			return err
		}
	}
	return nil
}
