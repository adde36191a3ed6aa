package store

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/smsbridge/smsbridge/priority"
)

func loadPart(tx *bolt.Tx, kb []byte, k PartKey) (Part, error) {
	v := tx.Bucket(bktPart).Get(kb)
	if v == nil {
		return Part{}, fmt.Errorf("part %s: %w", k, ErrNotFound)
	}
	p, err := decodePart(v)
	if err != nil {
		return Part{}, fmt.Errorf("part %s: %w", k, err)
	}
	return p, nil
}

func loadRcpt(tx *bolt.Tx, kb []byte, k RcptKey) (rcptRecord, error) {
	v := tx.Bucket(bktRcpt).Get(kb)
	if v == nil {
		return rcptRecord{}, fmt.Errorf("recipient %s: %w", k, ErrNotFound)
	}
	r, err := decodeRcpt(v)
	if err != nil {
		return rcptRecord{}, fmt.Errorf("recipient %s: %w", k, err)
	}
	return r, nil
}

// loadMsg reads a message record; full false skips what dispatch never needs.
func loadMsg(tx *bolt.Tx, id string, full bool) (msgRecord, error) {
	v := tx.Bucket(bktMsg).Get(msgKey(id))
	if v == nil {
		return msgRecord{}, fmt.Errorf("message %s: %w", id, ErrNotFound)
	}
	m, err := decodeMsg(v, full)
	if err != nil {
		return msgRecord{}, fmt.Errorf("message %s: %w", id, err)
	}
	return m, nil
}

// tidKey indexes a network id per transport; transport names hold no NUL.
func tidKey(transport, id string) []byte {
	k := make([]byte, 0, len(transport)+1+len(id))
	k = append(k, transport...)
	k = append(k, 0)
	return append(k, id...)
}

func validTransport(name string) error {
	if name == "" || strings.IndexByte(name, 0) >= 0 || len(name) > 1024 {
		return fmt.Errorf("%w: transport name %q", ErrInvalid, name)
	}
	return nil
}

// move stores part k in its new state p, taking it out of the indexes of
// its old state and into those of the new one.
func (w *wtx) move(k PartKey, old, p *Part) error {
	if !p.State.Final() {
		p.Receipt = "" // it belongs to a final state only: a part sent again waits for a new one
	}
	kb := partKeyBytes(k)
	var m msgRecord // its expiry for the overdue index, its class for the due index
	if old.State == PartSubmitted || p.State == PartSubmitted || old.State == PartQueued || p.State == PartQueued {
		var err error
		if m, err = loadMsg(w.tx, k.Msg, false); err != nil {
			return err
		}
	}
	if err := w.leave(kb, old, m.Expires, m.Class); err != nil {
		return err
	}
	if err := w.enter(kb, p, m.Expires, m.Class); err != nil {
		return err
	}
	w.count(old.State, -1)
	w.count(p.State, 1)
	return w.put(bktPart, kb, encodePart(p))
}

func (w *wtx) leave(kb []byte, p *Part, expires time.Time, class priority.Class) error {
	switch p.State {
	case PartQueued:
		return w.del(bktDue, dueKey(class, p.NextAttempt, kb))
	case PartSubmitting:
		return w.del(bktSubmitting, kb)
	case PartSubmitted:
		if err := w.unindexAlso(kb, p); err != nil {
			return err
		}
		if p.TransportID != "" {
			tk := tidKey(p.Transport, p.TransportID)
			// The network may have reused the id for a newer part: only
			// remove the entry while it still names this one.
			if bytes.Equal(w.get(bktTID, tk), kb) {
				if err := w.del(bktTID, tk); err != nil {
					return err
				}
			}
		}
		if !expires.IsZero() {
			return w.del(bktOverdue, timedKey(expires, kb))
		}
	}
	return nil
}

func (w *wtx) enter(kb []byte, p *Part, expires time.Time, class priority.Class) error {
	switch p.State {
	case PartQueued:
		return w.put(bktDue, dueKey(class, p.NextAttempt, kb), []byte{})
	case PartSubmitting:
		return w.put(bktSubmitting, kb, []byte{})
	case PartSubmitted:
		if p.TransportID != "" {
			if err := w.put(bktTID, tidKey(p.Transport, p.TransportID), kb); err != nil {
				return err
			}
		}
		if p.AlsoID != "" {
			if err := w.put(bktTID, tidKey(p.AlsoTransport, p.AlsoID), kb); err != nil {
				return err
			}
		}
		if !expires.IsZero() {
			return w.put(bktOverdue, timedKey(expires, kb), []byte{})
		}
	}
	return nil
}

// rcptFinal records that one more part of recipient k is final. It reports
// whether that was the last one.
func (w *wtx) rcptFinal(k RcptKey) (bool, error) {
	kb := rcptKeyBytes(k)
	r, err := loadRcpt(w.tx, kb, k)
	if err != nil {
		return false, err
	}
	if r.Pending == 0 {
		return false, fmt.Errorf("recipient %s: %w: pending count already zero", k, ErrCorrupt)
	}
	r.Pending--
	if err := w.put(bktRcpt, kb, encodeRcpt(&r)); err != nil {
		return false, err
	}
	if r.Pending > 0 {
		return false, nil
	}
	if r.Notify&NotifyDelay != 0 {
		if err := w.delayDone(k); err != nil { // final: no delay notice any more
			return false, err
		}
	}
	if !r.Reported {
		return true, w.put(bktUnreported, kb, []byte{})
	}
	return true, w.rcptClosed(k.Msg)
}

// rcptClosed records that one more recipient of a message is final and
// reported; when none is left the message becomes purgeable.
func (w *wtx) rcptClosed(id string) error {
	mk := msgKey(id)
	open, err := decodeCount(w.get(bktOpen, mk))
	if err != nil || open == 0 {
		return fmt.Errorf("message %s: open recipients: %w", id, ErrCorrupt)
	}
	if open > 1 {
		return w.put(bktOpen, mk, encodeCount(open-1))
	}
	m, err := loadMsg(w.tx, id, false)
	if err != nil {
		return err
	}
	if err := w.del(bktOpen, mk); err != nil {
		return err
	}
	return w.put(bktPurgeable, timedKey(m.Received, mk), []byte{})
}
