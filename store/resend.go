package store

import (
	"context"
	"fmt"
	"time"
)

// Resend puts the failed and expired parts of message id back in the queue,
// due now with no attempts counted, and gives the message the validity
// expires (zero: none), as an operator does once the cause is fixed (a
// route, a credit). Recipients with parts sent again get their report
// again when those end. It returns how many parts it queued; none is not
// an error. Cancelled and delivered parts stay as they are.
func (db *DB) Resend(ctx context.Context, id string, expires, now time.Time) (queued int, err error) {
	err = db.do(ctx, "resend", 512, func(w *wtx) error {
		queued = 0
		parts, err := w.messageParts(id)
		if err != nil {
			return err
		}
		m, err := loadMsg(w.tx, id, true)
		if err != nil {
			return err
		}
		if err := w.moveOverdue(parts, m.Expires, expires); err != nil {
			return err
		}
		m.Expires = expires
		if err := w.put(bktMsg, msgKey(id), encodeMsg(&m)); err != nil {
			return err
		}
		again := map[int]int{} // recipient → parts sent again
		for _, kp := range parts {
			if kp.p.State != PartFailed && kp.p.State != PartExpired {
				continue
			}
			p := kp.p
			p.State, p.Attempts, p.NextAttempt, p.Error, p.Updated = PartQueued, 0, now, "", now
			if err := w.move(kp.k, &kp.p, &p); err != nil {
				return err
			}
			again[kp.k.Rcpt]++
			queued++
		}
		for r, n := range again {
			if err := w.reopen(RcptKey{Msg: id, Rcpt: r}, m.Received, n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: resend %s: %w", id, err)
	}
	return queued, nil
}

// moveOverdue re-files the submitted parts of a message under its new
// validity in the overdue index.
func (w *wtx) moveOverdue(parts []keyedPart, from, to time.Time) error {
	for _, kp := range parts {
		if kp.p.State != PartSubmitted {
			continue
		}
		kb := partKeyBytes(kp.k)
		if !from.IsZero() {
			if err := w.del(bktOverdue, timedKey(from, kb)); err != nil {
				return err
			}
		}
		if !to.IsZero() {
			if err := w.put(bktOverdue, timedKey(to, kb), []byte{}); err != nil {
				return err
			}
		}
	}
	return nil
}

// reopen makes recipient k wait for n more parts. One that was final is
// open again: its report, if not sent yet, waits for these parts; one that
// was sent is sent again; a message that was purgeable no longer is.
func (w *wtx) reopen(k RcptKey, received time.Time, n int) error {
	kb := rcptKeyBytes(k)
	r, err := loadRcpt(w.tx, kb, k)
	if err != nil {
		return err
	}
	wasFinal := r.Pending == 0
	r.Pending += n
	reported := r.Reported
	r.Reported = false
	if err := w.put(bktRcpt, kb, encodeRcpt(&r)); err != nil {
		return err
	}
	switch {
	case !wasFinal:
		return nil
	case !reported:
		return w.del(bktUnreported, kb)
	}
	mk := msgKey(k.Msg)
	var open uint64
	if v := w.get(bktOpen, mk); v != nil {
		if open, err = decodeCount(v); err != nil {
			return fmt.Errorf("message %s: open recipients: %w", k.Msg, err)
		}
	} else if err := w.del(bktPurgeable, timedKey(received, mk)); err != nil {
		return err // every recipient was closed: the message was purgeable
	}
	return w.put(bktOpen, mk, encodeCount(open+1))
}
