package store

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Via is how the parts of one recipient have gone out so far: the phone
// can put a concatenated SMS together only when all its parts come the
// same way.
type Via struct {
	// Transport is the transport of the parts that reached (or may have
	// reached) the network — submitting, submitted or delivered; "" when
	// none has.
	Transport string
	// ID is the network id of one of them, "" when none is known; a
	// transport with several senders (modem SIMs) tells them by it.
	ID string
	// InFlight counts its parts being submitted now.
	InFlight int
}

// Via reports how recipient k's parts have gone out.
func (db *DB) Via(k RcptKey) (Via, error) {
	var v Via
	err := db.view(func(tx *bolt.Tx) error {
		r, err := loadRcpt(tx, rcptKeyBytes(k), k)
		if err != nil {
			return err
		}
		for i := range r.Parts {
			pk := PartKey{k.Msg, k.Rcpt, i}
			p, err := loadPart(tx, partKeyBytes(pk), pk)
			if err != nil {
				return err
			}
			switch p.State {
			case PartSubmitting:
				v.InFlight++
			case PartSubmitted, PartDelivered:
			default:
				continue
			}
			if v.Transport == "" || v.ID == "" && p.TransportID != "" {
				v.Transport, v.ID = p.Transport, p.TransportID
			}
		}
		return nil
	})
	if err != nil {
		return Via{}, fmt.Errorf("store: via %s: %w", k, err)
	}
	return v, nil
}

// RequeueRecipient puts every part of recipient k that has gone out (submitted or
// delivered) back in the queue, due at now, so that the whole message is
// sent again one way: some part could not follow the others. Each keeps
// the transport it went out through in MovedFrom and reason as its status.
// Parts being submitted are left alone. It returns how many it moved.
func (db *DB) RequeueRecipient(ctx context.Context, k RcptKey, reason string, now time.Time) (int, error) {
	var n int
	err := db.do(ctx, "requeue recipient", 64+len(reason), func(w *wtx) error {
		n = 0
		kb := rcptKeyBytes(k)
		r, err := loadRcpt(w.tx, kb, k)
		if err != nil {
			return err
		}
		reopened := 0
		for i := range r.Parts {
			pk := PartKey{k.Msg, k.Rcpt, i}
			old, err := loadPart(w.tx, partKeyBytes(pk), pk)
			if err != nil {
				return err
			}
			if old.State != PartSubmitted && old.State != PartDelivered {
				continue
			}
			if old.State == PartDelivered {
				reopened++
			}
			p := old
			p.State = PartQueued
			p.NextAttempt = now
			p.MovedFrom = old.Transport
			p.TransportID = ""
			p.Error = reason
			p.Updated = now
			if err := w.move(pk, &old, &p); err != nil {
				return err
			}
			n++
		}
		if reopened == 0 {
			return nil
		}
		if r.Pending == 0 {
			return fmt.Errorf("recipient %s: %w: delivered parts reopened after it was final", k, ErrState)
		}
		r.Pending += reopened
		return w.put(bktRcpt, kb, encodeRcpt(&r))
	})
	if err != nil {
		return 0, fmt.Errorf("store: resend %s: %w", k, err)
	}
	return n, nil
}
