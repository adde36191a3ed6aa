package store

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// OutMail is mail the gateway itself sends (delivery reports, SMS replies
// turned into mail), kept here until a smarthost or the Maildir has it.
type OutMail struct {
	ID          string
	From        string // envelope sender; "" for <>
	To          []string
	Data        []byte
	Created     time.Time
	Attempts    int
	NextAttempt time.Time
	Error       string // the last delivery error
}

// MailFor names what queuing a mail settles, in the same commit: the
// recipient whose final report it is, or whose delay notice it is.
type MailFor struct {
	Report *RcptKey
	Delay  *RcptKey
}

// QueueMail stores m (its ID set by the caller, NewID) due now, and settles
// what for names. Durable when it returns nil.
func (db *DB) QueueMail(ctx context.Context, m *OutMail, what MailFor) error {
	if !validID(m.ID) || len(m.To) == 0 {
		return fmt.Errorf("store: queue mail: %w: id %q, %d recipients", ErrInvalid, m.ID, len(m.To))
	}
	rec := *m
	rec.NextAttempt = m.Created
	v := encodeOutMail(&rec)
	err := db.do(ctx, "queue-mail", len(v), func(w *wtx) error {
		k := []byte(m.ID)
		if w.get(bktOutbox, k) != nil {
			return ErrExists
		}
		if err := w.put(bktOutbox, k, v); err != nil {
			return err
		}
		if err := w.put(bktOutDue, timedKey(rec.NextAttempt, k), []byte{}); err != nil {
			return err
		}
		if what.Report != nil {
			if err := w.markReported(*what.Report); err != nil {
				return err
			}
		}
		if what.Delay != nil {
			return w.delayDone(*what.Delay)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: queue mail %s: %w", m.ID, err)
	}
	return nil
}

// DueMail lists queued mail due at now, earliest first, at most limit.
func (db *DB) DueMail(now time.Time, limit int) ([]OutMail, error) {
	var out []OutMail
	err := db.view(func(tx *bolt.Tx) error {
		out = nil
		end := timeKey(now)
		c := tx.Bucket(bktOutDue).Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			if len(k) <= timeKeyLen {
				return fmt.Errorf("%w: outbox index key %x", ErrCorrupt, k)
			}
			if bytes.Compare(k[:timeKeyLen], end) > 0 {
				break
			}
			m, err := decodeOutMail(tx.Bucket(bktOutbox).Get(k[timeKeyLen:]))
			if err != nil {
				return fmt.Errorf("outbox %s: %w", k[timeKeyLen:], err)
			}
			m.ID = string(k[timeKeyLen:])
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: due mail: %w", err)
	}
	return out, nil
}

// NextMail is when the earliest queued mail is due; ok is false when the
// outbox is empty.
func (db *DB) NextMail() (t time.Time, ok bool, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bktOutDue).Cursor().First()
		if k == nil {
			return nil
		}
		if len(k) < timeKeyLen {
			return fmt.Errorf("%w: outbox index key %x", ErrCorrupt, k)
		}
		t, ok = timeFromKey(k[:timeKeyLen]), true
		return nil
	})
	return t, ok, err
}

// MailSent removes a mail that has been handed on (or given up on).
func (db *DB) MailSent(ctx context.Context, id string) error {
	err := db.do(ctx, "mail-sent", 32, func(w *wtx) error {
		m, err := w.outMail(id)
		if err != nil {
			return err
		}
		if err := w.del(bktOutDue, timedKey(m.NextAttempt, []byte(id))); err != nil {
			return err
		}
		return w.del(bktOutbox, []byte(id))
	})
	if err != nil {
		return fmt.Errorf("store: mail sent %s: %w", id, err)
	}
	return nil
}

// MailRetry counts a failed delivery and makes the mail due again at next.
func (db *DB) MailRetry(ctx context.Context, id string, next time.Time, reason string) error {
	err := db.do(ctx, "mail-retry", 64+len(reason), func(w *wtx) error {
		m, err := w.outMail(id)
		if err != nil {
			return err
		}
		if err := w.del(bktOutDue, timedKey(m.NextAttempt, []byte(id))); err != nil {
			return err
		}
		m.Attempts++
		m.NextAttempt, m.Error = next, reason
		if err := w.put(bktOutbox, []byte(id), encodeOutMail(&m)); err != nil {
			return err
		}
		return w.put(bktOutDue, timedKey(next, []byte(id)), []byte{})
	})
	if err != nil {
		return fmt.Errorf("store: mail retry %s: %w", id, err)
	}
	return nil
}

func (w *wtx) outMail(id string) (OutMail, error) {
	v := w.get(bktOutbox, []byte(id))
	if v == nil {
		return OutMail{}, ErrNotFound
	}
	return decodeOutMail(v)
}

func encodeOutMail(m *OutMail) []byte {
	e := encoder{b: make([]byte, 0, 64+len(m.Data)+len(m.Error))}
	e.u8(recordV1)
	e.str(m.From)
	e.uvar(uint64(len(m.To)))
	for _, to := range m.To {
		e.str(to)
	}
	e.time(m.Created)
	e.uvar(uint64(m.Attempts))
	e.time(m.NextAttempt)
	e.str(m.Error)
	e.bytes(m.Data)
	return e.b
}

func decodeOutMail(b []byte) (OutMail, error) {
	d := decoder{b: b}
	var m OutMail
	d.version("mail")
	m.From = d.str("mail from")
	n := d.count("mail recipients", maxRecipients)
	for i := 0; i < n && d.err == nil; i++ {
		m.To = append(m.To, d.str("mail to"))
	}
	m.Created = d.time("mail created")
	m.Attempts = d.count("mail attempts", 1<<31-1)
	m.NextAttempt = d.time("mail next attempt")
	m.Error = d.str("mail error")
	m.Data = d.bytes("mail data")
	return m, d.done("mail")
}
