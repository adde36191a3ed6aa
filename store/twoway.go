package store

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Conversation is the last mail that went to a number: where a reply from
// that phone goes, and what it threads under.
type Conversation struct {
	Sender    string    // envelope sender of the last mail to the number
	Subject   string    // its subject
	MessageID string    // its Message-ID, or that of the last reply mail we wrote
	Updated   time.Time // when it was last written
}

// Conversation returns the conversation with number; ok is false when none
// is stored.
func (db *DB) Conversation(number string) (c Conversation, ok bool, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bktConv).Get([]byte(number))
		if v == nil {
			return nil
		}
		c, err = decodeConv(v)
		ok = err == nil
		return err
	})
	if err != nil {
		return Conversation{}, false, fmt.Errorf("store: conversation %s: %w", number, err)
	}
	return c, ok, nil
}

// SetConversation records the conversation with number.
func (db *DB) SetConversation(ctx context.Context, number string, c Conversation) error {
	v := encodeConv(&c)
	err := db.do(ctx, "conversation", len(v), func(w *wtx) error { return w.put(bktConv, []byte(number), v) })
	if err != nil {
		return fmt.Errorf("store: set conversation %s: %w", number, err)
	}
	return nil
}

// conversations records, as part of Enqueue, that m's sender wrote to each
// of its numbers.
func conversations(m *Message, received time.Time) []kv {
	if m.Sender == "" {
		return nil
	}
	c := Conversation{Sender: m.Sender, Subject: m.Subject, MessageID: m.MessageID, Updated: received}
	v := encodeConv(&c)
	out := make([]kv, 0, len(m.Recipients))
	for _, r := range m.Recipients {
		out = append(out, kv{[]byte(r.Number), v})
	}
	return out
}

func encodeConv(c *Conversation) []byte {
	e := encoder{b: make([]byte, 0, 24+len(c.Sender)+len(c.Subject)+len(c.MessageID))}
	e.u8(recordV1)
	e.str(c.Sender)
	e.str(c.Subject)
	e.str(c.MessageID)
	e.time(c.Updated)
	return e.b
}

func decodeConv(b []byte) (Conversation, error) {
	d := decoder{b: b}
	var c Conversation
	d.version("conversation")
	c.Sender = d.str("conversation sender")
	c.Subject = d.str("conversation subject")
	c.MessageID = d.str("conversation message id")
	c.Updated = d.time("conversation updated")
	return c, d.done("conversation")
}

// OptOut puts number on the opt-out list (it replied STOP).
func (db *DB) OptOut(ctx context.Context, number string, at time.Time) error {
	err := db.do(ctx, "opt-out", 32, func(w *wtx) error { return w.put(bktOptOut, []byte(number), timeKey(at)) })
	if err != nil {
		return fmt.Errorf("store: opt out %s: %w", number, err)
	}
	return nil
}

// OptIn takes number off the opt-out list (it replied START).
func (db *DB) OptIn(ctx context.Context, number string) error {
	err := db.do(ctx, "opt-in", 32, func(w *wtx) error { return w.del(bktOptOut, []byte(number)) })
	if err != nil {
		return fmt.Errorf("store: opt in %s: %w", number, err)
	}
	return nil
}

// OptedOut reports whether number is on the opt-out list, and since when.
func (db *DB) OptedOut(number string) (bool, time.Time, error) {
	var since time.Time
	var out bool
	err := db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bktOptOut).Get([]byte(number))
		if v == nil {
			return nil
		}
		if len(v) != timeKeyLen {
			return fmt.Errorf("%w: opt-out record %x", ErrCorrupt, v)
		}
		out, since = true, timeFromKey(v)
		return nil
	})
	if err != nil {
		return false, time.Time{}, fmt.Errorf("store: opted out %s: %w", number, err)
	}
	return out, since, nil
}

// DelayDue lists recipients that asked for delay notices (NotifyDelay) and
// whose message was received before before, oldest first, at most limit.
// Some may be final by now: the caller checks and calls DelayDone.
func (db *DB) DelayDue(before time.Time, limit int) ([]RcptKey, error) {
	var out []RcptKey
	err := db.view(func(tx *bolt.Tx) error {
		out = nil
		end := timeKey(before)
		c := tx.Bucket(bktDelay).Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			if len(k) <= timeKeyLen {
				return fmt.Errorf("%w: delay key %x", ErrCorrupt, k)
			}
			if bytes.Compare(k[:timeKeyLen], end) >= 0 {
				break
			}
			rk, err := parseRcptKey(k[timeKeyLen:])
			if err != nil {
				return err
			}
			out = append(out, rk)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: delay due: %w", err)
	}
	return out, nil
}

// DelayDone takes a recipient off the delay watch: its notice was queued,
// or it no longer needs one.
func (db *DB) DelayDone(ctx context.Context, k RcptKey) error {
	err := db.do(ctx, "delay-done", 32, func(w *wtx) error { return w.delayDone(k) })
	if err != nil {
		return fmt.Errorf("store: delay done %s: %w", k, err)
	}
	return nil
}

func (w *wtx) delayDone(k RcptKey) error {
	m, err := loadMsg(w.tx, k.Msg, false)
	if err != nil {
		return err
	}
	return w.del(bktDelay, timedKey(m.Received, rcptKeyBytes(k)))
}

// Original returns the whole mail kept for RET=FULL reports (nil when it was
// not kept).
func (db *DB) Original(id string) ([]byte, error) {
	var out []byte
	err := db.view(func(tx *bolt.Tx) error {
		out = bytes.Clone(tx.Bucket(bktOriginal).Get(msgKey(id)))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: original %s: %w", id, err)
	}
	return out, nil
}
