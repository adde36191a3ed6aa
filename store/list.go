package store

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/smsbridge/smsbridge/priority"
)

// Listing limits: a page holds at most MaxListLimit messages, and one List
// call reads at most listScanMax messages so a filter that matches little
// never holds a read transaction (and page reuse) for long.
const (
	DefaultListLimit = 50
	MaxListLimit     = 1000
)

var listScanMax = 5000 // a variable so tests can shrink it

// ListQuery selects messages for List. Zero fields select everything.
type ListQuery struct {
	State  PartState // only messages with a part in this state
	Since  time.Time // only messages received at or after this time
	To     string    // only messages to this number (E.164)
	Before string    // paging: only ids that sort before this one
	Limit  int       // at most this many; <= 0 means DefaultListLimit
}

// Summary is one message as List shows it: no texts, no headers.
type Summary struct {
	ID         string
	Received   time.Time
	Expires    time.Time
	Sender     string
	Subject    string
	Class      priority.Class
	Recipients []RcptSummary
	Parts      map[PartState]int // part count by state, all recipients
}

// RcptSummary is one recipient of a listed message.
type RcptSummary struct {
	Address string
	Number  string
	State   PartState // see RecipientState
	Parts   int
}

// List returns messages newest first. next is the cursor for the following
// page (ListQuery.Before), "" when the scan reached the oldest message. A
// page can hold fewer than Limit messages (even none) while next is not
// empty: the scan stopped at its bound.
func (db *DB) List(q ListQuery) (out []Summary, next string, err error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	limit = min(limit, MaxListLimit)
	err = db.view(func(tx *bolt.Tx) error {
		out, next = nil, ""
		c := tx.Bucket(bktMsg).Cursor()
		k, v := listStart(c, q.Before)
		last := ""
		for scanned := 0; k != nil; k, v = c.Prev() {
			if len(out) == limit || scanned == listScanMax {
				next = last // Before is exclusive: continue after the last one read
				return nil
			}
			scanned++
			s, ok, err := summarize(tx, k, v, &q)
			if err != nil {
				return err
			}
			last = string(k[1:])
			if ok {
				out = append(out, s)
			}
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("store: list: %w", err)
	}
	return out, next, nil
}

// listStart positions c on the newest message key before the cursor id.
func listStart(c *bolt.Cursor, before string) ([]byte, []byte) {
	if before == "" || !validID(before) {
		return c.Last()
	}
	k, _ := c.Seek(msgKey(before))
	if k == nil {
		return c.Last()
	}
	return c.Prev()
}

// summarize reads one message for List and reports whether q selects it.
func summarize(tx *bolt.Tx, k, v []byte, q *ListQuery) (Summary, bool, error) {
	if len(k) < 2 || int(k[0]) != len(k)-1 {
		return Summary{}, false, fmt.Errorf("%w: message key %x", ErrCorrupt, k)
	}
	id := string(k[1:])
	mr, err := decodeMsg(v, true)
	if err != nil {
		return Summary{}, false, fmt.Errorf("message %s: %w", id, err)
	}
	if !q.Since.IsZero() && mr.Received.Before(q.Since) {
		return Summary{}, false, nil
	}
	s := Summary{ID: id, Received: mr.Received, Expires: mr.Expires, Sender: mr.Sender, Subject: mr.Subject,
		Class: mr.Class, Parts: map[PartState]int{}}
	states, err := partStates(tx, k, mr.Recipients)
	if err != nil {
		return Summary{}, false, fmt.Errorf("message %s: %w", id, err)
	}
	toMatch := q.To == ""
	for i := range mr.Recipients {
		rk := RcptKey{id, i}
		rr, err := loadRcpt(tx, rcptKeyBytes(rk), rk)
		if err != nil {
			return Summary{}, false, err
		}
		toMatch = toMatch || rr.Number == q.To
		for _, st := range states[i] {
			s.Parts[st]++
		}
		s.Recipients = append(s.Recipients, RcptSummary{Address: rr.Address, Number: rr.Number,
			State: recipientState(states[i]), Parts: len(states[i])})
	}
	stateMatch := q.State == 0 || s.Parts[q.State] > 0
	return s, toMatch && stateMatch, nil
}

// partStates reads the state of every part of a message by recipient.
func partStates(tx *bolt.Tx, mk []byte, rcpts int) ([][]PartState, error) {
	out := make([][]PartState, rcpts)
	c := tx.Bucket(bktPart).Cursor()
	for kb, v := c.Seek(mk); kb != nil && bytes.HasPrefix(kb, mk); kb, v = c.Next() {
		k, err := parsePartKey(kb)
		if err != nil {
			return nil, err
		}
		if k.Rcpt >= rcpts || len(v) < 2 {
			return nil, fmt.Errorf("%w: stray part %s", ErrCorrupt, k)
		}
		out[k.Rcpt] = append(out[k.Rcpt], PartState(v[1])) // the state follows the version byte
	}
	return out, nil
}

// RecipientState sums up a recipient's parts in one state: the least
// advanced state while some part is not final; delivered when every part
// was; else the worst final state (failed, expired, cancelled).
func RecipientState(parts []Part) PartState {
	states := make([]PartState, len(parts))
	for i, p := range parts {
		states[i] = p.State
	}
	return recipientState(states)
}

func recipientState(states []PartState) PartState {
	var pending, worst PartState
	for _, s := range states {
		switch {
		case !s.Final():
			if pending == 0 || s < pending {
				pending = s
			}
		case s != PartDelivered && (worst == 0 || s < worst):
			worst = s
		}
	}
	switch {
	case pending != 0:
		return pending
	case worst != 0:
		return worst
	case len(states) > 0:
		return PartDelivered
	}
	return 0
}

// ParsePartState is the inverse of PartState.String.
func ParsePartState(s string) (PartState, error) {
	for i, name := range partStateNames {
		if i > 0 && name == s {
			return PartState(i), nil
		}
	}
	return 0, fmt.Errorf("%w: part state %q", ErrInvalid, s)
}

// CancelQueued cancels every part of message id still waiting in the queue
// (state queued), in one commit; parts under way or sent are left alone.
// It returns how many it cancelled and the recipients it made final (their
// reports are due).
func (db *DB) CancelQueued(ctx context.Context, id, reason string, now time.Time) (cancelled int, done []RcptKey, err error) {
	err = db.do(ctx, "cancel", 256, func(w *wtx) error {
		cancelled, done = 0, nil
		parts, err := w.messageParts(id)
		if err != nil {
			return err
		}
		for _, kp := range parts {
			if kp.p.State != PartQueued {
				continue
			}
			p := kp.p
			p.State, p.Error, p.Updated = PartCancelled, reason, now
			if err := w.move(kp.k, &kp.p, &p); err != nil {
				return err
			}
			cancelled++
			last, err := w.rcptFinal(RcptKey{Msg: id, Rcpt: kp.k.Rcpt})
			if err != nil {
				return err
			}
			if last {
				done = append(done, RcptKey{Msg: id, Rcpt: kp.k.Rcpt})
			}
		}
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("store: cancel %s: %w", id, err)
	}
	return cancelled, done, nil
}

// RetryQueued makes every queued part of message id due at now (skipping
// its backoff) and returns how many parts are queued. Parts under way, sent
// or final are left alone: resending those could only duplicate.
func (db *DB) RetryQueued(ctx context.Context, id string, now time.Time) (queued int, err error) {
	err = db.do(ctx, "retry-now", 256, func(w *wtx) error {
		queued = 0
		parts, err := w.messageParts(id)
		if err != nil {
			return err
		}
		for _, kp := range parts {
			if kp.p.State != PartQueued {
				continue
			}
			queued++
			if !kp.p.NextAttempt.After(now) {
				continue
			}
			p := kp.p
			p.NextAttempt, p.Updated = now, now
			if err := w.move(kp.k, &kp.p, &p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: retry %s: %w", id, err)
	}
	return queued, nil
}

type keyedPart struct {
	k PartKey
	p Part
}

// messageParts reads every part of message id; ErrNotFound when there is
// no such message.
func (w *wtx) messageParts(id string) ([]keyedPart, error) {
	if !validID(id) || w.get(bktMsg, msgKey(id)) == nil {
		return nil, fmt.Errorf("message %s: %w", id, ErrNotFound)
	}
	mk := msgKey(id)
	var out []keyedPart
	c := w.tx.Bucket(bktPart).Cursor()
	for kb, v := c.Seek(mk); kb != nil && bytes.HasPrefix(kb, mk); kb, v = c.Next() {
		k, err := parsePartKey(kb)
		if err != nil {
			return nil, err
		}
		p, err := decodePart(v)
		if err != nil {
			return nil, fmt.Errorf("part %s: %w", k, err)
		}
		out = append(out, keyedPart{k, p})
	}
	return out, nil
}

// QueuedPart is one part waiting in the queue, as metrics see it.
type QueuedPart struct {
	Key         PartKey
	Number      string    // recipient E.164
	Transport   string    // of the last attempt; "" before the first
	Received    time.Time // when its message was accepted
	NextAttempt time.Time
	Attempts    int
	Class       priority.Class
}

// Queued calls fn for queued parts by class, then in order of their next attempt, at most
// limit of them (inside a read transaction: fn must be quick and must not
// use the DB). complete is false when limit cut the walk short. Entries
// that do not decode are skipped.
func (db *DB) Queued(limit int, fn func(QueuedPart)) (complete bool, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		complete = true
		numbers := map[RcptKey]string{}
		received := map[string]time.Time{}
		c := tx.Bucket(bktDue).Cursor()
		n := 0
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if n == limit {
				complete = false
				return nil
			}
			n++
			// An unreadable entry is skipped: Due takes it out of the queue
			// and logs it; a count for metrics must not fail over it.
			if qp, err := readQueued(tx, k, numbers, received); err == nil {
				fn(qp)
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: queued: %w", err)
	}
	return complete, nil
}

// readQueued reads one due index entry; the maps cache what parts share.
func readQueued(tx *bolt.Tx, entry []byte, numbers map[RcptKey]string, received map[string]time.Time) (QueuedPart, error) {
	rank, _, kb, err := dueEntry(entry)
	if err != nil {
		return QueuedPart{}, err
	}
	k, err := parsePartKey(kb)
	if err != nil {
		return QueuedPart{}, err
	}
	p, err := loadPart(tx, kb, k)
	if err != nil {
		return QueuedPart{}, err
	}
	rk := RcptKey{k.Msg, k.Rcpt}
	num, ok := numbers[rk]
	if !ok {
		r, err := loadRcpt(tx, rcptKeyBytes(rk), rk)
		if err != nil {
			return QueuedPart{}, err
		}
		num, numbers[rk] = r.Number, r.Number
	}
	rec, ok := received[k.Msg]
	if !ok {
		m, err := loadMsg(tx, k.Msg, false)
		if err != nil {
			return QueuedPart{}, err
		}
		rec, received[k.Msg] = m.Received, m.Received
	}
	return QueuedPart{Key: k, Number: num, Transport: p.Transport, Received: rec,
		NextAttempt: p.NextAttempt, Attempts: p.Attempts, Class: priority.Classes[rank]}, nil
}
