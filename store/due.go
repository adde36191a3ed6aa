package store

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/smsbridge/smsbridge/campaign"
	"github.com/smsbridge/smsbridge/priority"
)

// DuePart is a queued part ready for an attempt, with what sending needs.
type DuePart struct {
	Key      PartKey
	Number   string // recipient E.164
	Sender   string
	Source   string    // the message's SMS source address; "" for the route's or transport's
	Received time.Time // when the message was accepted
	Expires  time.Time
	Class    priority.Class
	Campaign *campaign.Pace // nil unless the message is a campaign
	Part     Part
}

// unreadable is a due index entry whose part cannot be read.
type unreadable struct {
	entry []byte
	err   error
}

// Due lists queued parts with NextAttempt <= now, most urgent class first
// and earliest first within a class, at most limit. Entries whose records
// do not decode are taken out of the queue (and logged) rather than
// returned again and again.
func (db *DB) Due(now time.Time, limit int) ([]DuePart, error) {
	return db.due(now, limit, priority.Classes[:]...)
}

func (db *DB) due(now time.Time, limit int, classes ...priority.Class) ([]DuePart, error) {
	if limit <= 0 {
		return nil, nil
	}
	var out []DuePart
	var bad []unreadable
	err := db.view(func(tx *bolt.Tx) error {
		out, bad = nil, nil
		msgs := make(map[string]msgRecord)
		c := tx.Bucket(bktDue).Cursor()
		for _, class := range classes {
			dueScan(c, class, now, func(k []byte) bool {
				dp, err := readDue(tx, k, msgs)
				if err != nil {
					bad = append(bad, unreadable{append([]byte(nil), k...), err})
				} else {
					out = append(out, dp)
				}
				return len(out) < limit && len(bad) < limit
			})
			if len(out) == limit || len(bad) == limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: due: %w", err)
	}
	if len(bad) > 0 {
		if err := db.dropUnreadable(bad); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readDue reads one due entry; msgs caches message records across entries.
func readDue(tx *bolt.Tx, entry []byte, msgs map[string]msgRecord) (DuePart, error) {
	_, _, kb, err := dueEntry(entry)
	if err != nil {
		return DuePart{}, err
	}
	k, err := parsePartKey(kb)
	if err != nil {
		return DuePart{}, err
	}
	p, err := loadPart(tx, kb, k)
	if err != nil {
		return DuePart{}, err
	}
	if p.State != PartQueued {
		return DuePart{}, fmt.Errorf("part %s: %w: %s but in the due index", k, ErrCorrupt, p.State)
	}
	rk := RcptKey{k.Msg, k.Rcpt}
	r, err := loadRcpt(tx, rcptKeyBytes(rk), rk)
	if err != nil {
		return DuePart{}, err
	}
	m, ok := msgs[k.Msg]
	if !ok {
		if m, err = loadMsg(tx, k.Msg, false); err != nil {
			return DuePart{}, err
		}
		msgs[k.Msg] = m
	}
	return DuePart{Key: k, Number: r.Number, Sender: m.Sender, Source: m.Source, Received: m.Received, Expires: m.Expires, Class: m.Class,
		Campaign: m.Campaign, Part: p}, nil
}

// dropUnreadable removes unreadable due entries, after checking in the write
// transaction that they still are unreadable.
func (db *DB) dropUnreadable(bad []unreadable) error {
	err := db.do(context.Background(), "drop-unreadable", 0, func(w *wtx) error {
		for _, b := range bad {
			if w.get(bktDue, b.entry) == nil {
				continue
			}
			if _, err := readDue(w.tx, b.entry, map[string]msgRecord{}); err == nil {
				continue
			}
			if err := w.quarantine(bktDue, b.entry, b.entry[min(dueKeyLen, len(b.entry)):], b.err); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: due: dropping unreadable entries: %w", err)
	}
	return nil
}

// Lookup finds the part a network id belongs to. Ids are forgotten once the
// part is final or retried.
func (db *DB) Lookup(transport, transportID string) (PartKey, bool, error) {
	var k PartKey
	var ok bool
	err := db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bktTID).Get(tidKey(transport, transportID))
		if v == nil {
			return nil
		}
		var err error
		k, err = parsePartKey(v)
		ok = err == nil
		return err
	})
	if err != nil {
		return PartKey{}, false, fmt.Errorf("store: lookup: %w", err)
	}
	return k, ok, nil
}
