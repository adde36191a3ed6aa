package store

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// kv is one record ready to write.
type kv struct{ k, v []byte }

// prepared is a message encoded outside the committer, so the single writer
// only copies bytes.
type prepared struct {
	id       string
	received time.Time
	campaign bool
	msg      kv
	rcpts    []kv
	parts    []kv
	due      [][]byte // the parts' due index keys
	delay    [][]byte // delay-watch keys
	convs    []kv
	original []byte
	size     int
}

// Enqueue stores a whole message with its recipients and parts. Every part
// starts queued, due at m.Received (now when zero) or at its NextAttempt
// when that is later (a campaign's pace), with its other attempt fields
// cleared. A recipient given with Reported set is never listed by
// Unreported. m is not modified. When Enqueue returns nil the message is
// on disk (fsynced); on a ctx error it may or may not be.
func (db *DB) Enqueue(ctx context.Context, m *Message) error {
	pm, err := prepare(m, time.Now())
	if err != nil {
		return fmt.Errorf("store: enqueue: %w", err)
	}
	err = db.do(ctx, "enqueue", pm.size, func(w *wtx) error { return w.enqueue(pm) })
	if err != nil {
		return fmt.Errorf("store: enqueue %s: %w", m.ID, err)
	}
	return nil
}

func validateMessage(m *Message) error {
	if !validID(m.ID) {
		return fmt.Errorf("%w: message id %q", ErrInvalid, m.ID)
	}
	if len(m.Recipients) == 0 || len(m.Recipients) > maxRecipients {
		return fmt.Errorf("%w: %d recipients", ErrInvalid, len(m.Recipients))
	}
	for i, r := range m.Recipients {
		if len(r.Parts) == 0 || len(r.Parts) > maxParts {
			return fmt.Errorf("%w: recipient %d has %d parts", ErrInvalid, i, len(r.Parts))
		}
	}
	return nil
}

func prepare(m *Message, now time.Time) (*prepared, error) {
	if err := validateMessage(m); err != nil {
		return nil, err
	}
	received := m.Received
	if received.IsZero() {
		received = now
	}
	pm := &prepared{id: m.ID, received: received, campaign: m.Campaign != nil, original: m.Original, convs: conversations(m, received)}
	mr := msgRecord{Received: received, Expires: m.Expires, Sender: m.Sender, Subject: m.Subject,
		MessageID: m.MessageID, EnvID: m.EnvID, Ret: m.Ret, Header: m.Header, Omitted: m.Omitted, Recipients: len(m.Recipients),
		Class: m.Class, Campaign: m.Campaign, Source: m.Source}
	pm.msg = kv{msgKey(m.ID), encodeMsg(&mr)}
	pm.size = len(pm.msg.v) + len(m.Original)
	for i := range m.Recipients {
		r := &m.Recipients[i]
		rr := rcptRecord{Address: r.Address, Number: r.Number, ORCPT: r.ORCPT, Notify: r.Notify,
			Reported: r.Reported, Parts: len(r.Parts), Pending: len(r.Parts)}
		pm.rcpts = append(pm.rcpts, kv{rcptKeyBytes(RcptKey{m.ID, i}), encodeRcpt(&rr)})
		if r.Notify&NotifyDelay != 0 && !r.Reported {
			pm.delay = append(pm.delay, timedKey(received, rcptKeyBytes(RcptKey{m.ID, i})))
		}
		for j, p := range r.Parts {
			next := received
			if p.NextAttempt.After(received) {
				next = p.NextAttempt
			}
			p.State, p.Attempts, p.NextAttempt, p.Updated = PartQueued, 0, next, received
			p.Transport, p.TransportID, p.Error = "", "", ""
			kb := partKeyBytes(PartKey{m.ID, i, j})
			pm.parts = append(pm.parts, kv{kb, encodePart(&p)})
			pm.due = append(pm.due, dueKey(m.Class, next, kb))
			pm.size += len(pm.parts[len(pm.parts)-1].v)
		}
	}
	return pm, nil
}

func (w *wtx) enqueue(pm *prepared) error {
	if w.get(bktMsg, pm.msg.k) != nil {
		return ErrExists
	}
	if err := w.put(bktMsg, pm.msg.k, pm.msg.v); err != nil {
		return err
	}
	if err := w.put(bktOpen, pm.msg.k, encodeCount(uint64(len(pm.rcpts)))); err != nil {
		return err
	}
	for _, r := range pm.rcpts {
		if err := w.put(bktRcpt, r.k, r.v); err != nil {
			return err
		}
	}
	for i, p := range pm.parts {
		if err := w.put(bktPart, p.k, p.v); err != nil {
			return err
		}
		if err := w.put(bktDue, pm.due[i], []byte{}); err != nil {
			return err
		}
	}
	w.count(PartQueued, int64(len(pm.parts)))
	return w.enqueueExtras(pm)
}

// enqueueExtras writes what two-way mail, reports and campaigns need
// besides the queue: the original for RET=FULL, the delay watch, the
// conversations and the campaign index.
func (w *wtx) enqueueExtras(pm *prepared) error {
	if pm.campaign {
		if err := w.put(bktCampaign, timedKey(pm.received, pm.msg.k), []byte{}); err != nil {
			return err
		}
	}
	if len(pm.original) > 0 {
		if err := w.put(bktOriginal, pm.msg.k, pm.original); err != nil {
			return err
		}
	}
	for _, k := range pm.delay {
		if err := w.put(bktDelay, k, []byte{}); err != nil {
			return err
		}
	}
	for _, c := range pm.convs {
		if err := w.put(bktConv, c.k, c.v); err != nil {
			return err
		}
	}
	return nil
}

// Message returns message id with all its recipients and parts, or
// ErrNotFound.
func (db *DB) Message(id string) (*Message, error) {
	if !validID(id) {
		return nil, fmt.Errorf("store: message %q: %w", id, ErrNotFound)
	}
	var m *Message
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		m, err = readMessage(tx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return m, nil
}

func readMessage(tx *bolt.Tx, id string) (*Message, error) {
	mr, err := loadMsg(tx, id, true)
	if err != nil {
		return nil, err
	}
	m := &Message{ID: id, Received: mr.Received, Expires: mr.Expires, Sender: mr.Sender, Source: mr.Source,
		Subject: mr.Subject, MessageID: mr.MessageID, EnvID: mr.EnvID, Ret: mr.Ret, Header: mr.Header, Omitted: mr.Omitted,
		Class: mr.Class, Campaign: mr.Campaign, Recipients: make([]Recipient, mr.Recipients)}
	for i := range m.Recipients {
		k := RcptKey{id, i}
		rr, err := loadRcpt(tx, rcptKeyBytes(k), k)
		if err != nil {
			return nil, err
		}
		m.Recipients[i] = Recipient{Address: rr.Address, Number: rr.Number, ORCPT: rr.ORCPT,
			Notify: rr.Notify, Reported: rr.Reported, Parts: make([]Part, 0, rr.Parts)}
	}
	return m, readParts(tx, m)
}

// readParts fills in the parts of m from one prefix scan, checking that
// each recipient's parts are all there and in order. Each recipient's Parts
// comes with its expected count as capacity.
func readParts(tx *bolt.Tx, m *Message) error {
	mk := msgKey(m.ID)
	c := tx.Bucket(bktPart).Cursor()
	for kb, v := c.Seek(mk); kb != nil && bytes.HasPrefix(kb, mk); kb, v = c.Next() {
		k, err := parsePartKey(kb)
		if err != nil {
			return fmt.Errorf("message %s: %w", m.ID, err)
		}
		if k.Rcpt >= len(m.Recipients) || k.Part != len(m.Recipients[k.Rcpt].Parts) || k.Part >= cap(m.Recipients[k.Rcpt].Parts) {
			return fmt.Errorf("message %s: %w: stray part %s", m.ID, ErrCorrupt, k)
		}
		p, err := decodePart(v)
		if err != nil {
			return fmt.Errorf("part %s: %w", k, err)
		}
		m.Recipients[k.Rcpt].Parts = append(m.Recipients[k.Rcpt].Parts, p)
	}
	for i, r := range m.Recipients {
		if len(r.Parts) != cap(r.Parts) {
			return fmt.Errorf("message %s: %w: recipient %d has %d of %d parts", m.ID, ErrCorrupt, i, len(r.Parts), cap(r.Parts))
		}
	}
	return nil
}
