package store

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// An integration that accepted a message for a client (Kannel's sendsms,
// an SMPP server) follows it with a Watch, stored in the same commit as the
// message, and tells its client of progress through Callbacks: durable
// notices retried until the client has them. The store knows neither's
// meaning; Owner and Data belong to the integration.

// Watch follows one message for an integration.
type Watch struct {
	Msg   string
	Owner string // the integration, e.g. "kannel"
	Data  []byte // the integration's own record (where and what to tell)
	// Told holds, per recipient, the events already turned into callbacks
	// (the integration's bits).
	Told []uint8
}

// Callback is a notice an integration owes its client.
type Callback struct {
	ID          string // NewID
	Owner       string
	Data        []byte
	Created     time.Time
	Attempts    int
	NextAttempt time.Time
	Error       string // the last delivery error
}

// EnqueueWatched is Enqueue with w stored in the same commit: a message
// accepted is never left unwatched. w.Msg is set to m.ID.
func (db *DB) EnqueueWatched(ctx context.Context, m *Message, w Watch) error {
	pm, err := prepare(m, time.Now())
	if err != nil {
		return fmt.Errorf("store: enqueue: %w", err)
	}
	w.Msg = m.ID
	w.Told = make([]uint8, len(m.Recipients))
	v := encodeWatch(&w)
	err = db.do(ctx, "enqueue", pm.size+len(v), func(tx *wtx) error {
		if err := tx.enqueue(pm); err != nil {
			return err
		}
		return tx.put(bktWatch, msgKey(m.ID), v)
	})
	if err != nil {
		return fmt.Errorf("store: enqueue %s: %w", m.ID, err)
	}
	return nil
}

// Watches lists the watches of owner with a message id after after ("" from
// the start), in id order, at most limit.
func (db *DB) Watches(owner, after string, limit int) ([]Watch, error) {
	var out []Watch
	err := db.view(func(tx *bolt.Tx) error {
		out = nil
		c := tx.Bucket(bktWatch).Cursor()
		k, v := c.First()
		if after != "" {
			k, v = c.Seek(msgKey(after))
			if k != nil && bytes.Equal(k, msgKey(after)) {
				k, v = c.Next()
			}
		}
		for ; k != nil && len(out) < limit; k, v = c.Next() {
			w, err := decodeWatch(v)
			if err != nil {
				return fmt.Errorf("watch %s: %w", k, err)
			}
			if w.Owner != owner {
				continue
			}
			if len(k) < 1 || int(k[0]) != len(k)-1 {
				return fmt.Errorf("%w: watch key %x", ErrCorrupt, k)
			}
			w.Msg = string(k[1:])
			out = append(out, w)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: watches: %w", err)
	}
	return out, nil
}

// Tell queues calls and records told as what w's recipients have been told,
// in one commit; with done the watch is removed instead. Durable when it
// returns nil.
func (db *DB) Tell(ctx context.Context, msg string, told []uint8, done bool, calls []Callback) error {
	vs, err := encodeCallbacks(calls)
	if err != nil {
		return fmt.Errorf("store: tell: %w", err)
	}
	size := 0
	for _, v := range vs {
		size += len(v)
	}
	err = db.do(ctx, "tell", size+32, func(w *wtx) error {
		k := msgKey(msg)
		v := w.get(bktWatch, k)
		if v == nil {
			return ErrNotFound
		}
		if err := w.queueCallbacks(calls, vs); err != nil {
			return err
		}
		if done {
			return w.del(bktWatch, k)
		}
		wt, err := decodeWatch(v)
		if err != nil {
			return err
		}
		wt.Told = told
		return w.put(bktWatch, k, encodeWatch(&wt))
	})
	if err != nil {
		return fmt.Errorf("store: tell %s: %w", msg, err)
	}
	return nil
}

// DueCallbacks lists owner's callbacks due at now, earliest first, at most limit.
func (db *DB) DueCallbacks(owner string, now time.Time, limit int) ([]Callback, error) {
	var out []Callback
	err := db.view(func(tx *bolt.Tx) error {
		out = nil
		end := timeKey(now)
		c := tx.Bucket(bktCallDue).Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			if len(k) <= timeKeyLen {
				return fmt.Errorf("%w: callback index key %x", ErrCorrupt, k)
			}
			if bytes.Compare(k[:timeKeyLen], end) > 0 {
				break
			}
			cb, err := decodeCallback(tx.Bucket(bktCallback).Get(k[timeKeyLen:]))
			if err != nil {
				return fmt.Errorf("callback %s: %w", k[timeKeyLen:], err)
			}
			if cb.Owner != owner {
				continue
			}
			cb.ID = string(k[timeKeyLen:])
			out = append(out, cb)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: due callbacks: %w", err)
	}
	return out, nil
}

// NextCallback is when owner's earliest callback is due; ok is false when
// none is queued.
func (db *DB) NextCallback(owner string) (t time.Time, ok bool, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bktCallDue).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) <= timeKeyLen {
				return fmt.Errorf("%w: callback index key %x", ErrCorrupt, k)
			}
			cb, err := decodeCallback(tx.Bucket(bktCallback).Get(k[timeKeyLen:]))
			if err != nil {
				return fmt.Errorf("callback %s: %w", k[timeKeyLen:], err)
			}
			if cb.Owner == owner {
				t, ok = timeFromKey(k[:timeKeyLen]), true
				return nil
			}
		}
		return nil
	})
	return t, ok, err
}

// CallbackDone removes a callback its client has (or that was given up on).
func (db *DB) CallbackDone(ctx context.Context, id string) error {
	err := db.do(ctx, "callback-done", 32, func(w *wtx) error {
		c, err := w.callback(id)
		if err != nil {
			return err
		}
		if err := w.del(bktCallDue, timedKey(c.NextAttempt, []byte(id))); err != nil {
			return err
		}
		return w.del(bktCallback, []byte(id))
	})
	if err != nil {
		return fmt.Errorf("store: callback done %s: %w", id, err)
	}
	return nil
}

// CallbackRetry counts a failed delivery and makes the callback due again at next.
func (db *DB) CallbackRetry(ctx context.Context, id string, next time.Time, reason string) error {
	err := db.do(ctx, "callback-retry", 64+len(reason), func(w *wtx) error {
		c, err := w.callback(id)
		if err != nil {
			return err
		}
		if err := w.del(bktCallDue, timedKey(c.NextAttempt, []byte(id))); err != nil {
			return err
		}
		c.Attempts++
		c.NextAttempt, c.Error = next, reason
		if err := w.put(bktCallback, []byte(id), encodeCallback(&c)); err != nil {
			return err
		}
		return w.put(bktCallDue, timedKey(next, []byte(id)), []byte{})
	})
	if err != nil {
		return fmt.Errorf("store: callback retry %s: %w", id, err)
	}
	return nil
}

func (w *wtx) callback(id string) (Callback, error) {
	v := w.get(bktCallback, []byte(id))
	if v == nil {
		return Callback{}, ErrNotFound
	}
	return decodeCallback(v)
}

func encodeWatch(w *Watch) []byte {
	e := encoder{b: make([]byte, 0, 16+len(w.Owner)+len(w.Data)+len(w.Told))}
	e.u8(recordV1)
	e.str(w.Owner)
	e.bytes(w.Data)
	e.bytes(w.Told)
	return e.b
}

func decodeWatch(b []byte) (Watch, error) {
	d := decoder{b: b}
	var w Watch
	d.version("watch")
	w.Owner = d.str("watch owner")
	w.Data = d.bytes("watch data")
	w.Told = d.bytes("watch told")
	return w, d.done("watch")
}

func encodeCallback(c *Callback) []byte {
	e := encoder{b: make([]byte, 0, 32+len(c.Owner)+len(c.Data)+len(c.Error))}
	e.u8(recordV1)
	e.str(c.Owner)
	e.bytes(c.Data)
	e.time(c.Created)
	e.uvar(uint64(c.Attempts))
	e.time(c.NextAttempt)
	e.str(c.Error)
	return e.b
}

func decodeCallback(b []byte) (Callback, error) {
	d := decoder{b: b}
	var c Callback
	d.version("callback")
	c.Owner = d.str("callback owner")
	c.Data = d.bytes("callback data")
	c.Created = d.time("callback created")
	c.Attempts = d.count("callback attempts", 1<<31-1)
	c.NextAttempt = d.time("callback next attempt")
	c.Error = d.str("callback error")
	return c, d.done("callback")
}
