package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/smsbridge/smsbridge/priority"
)

// Import writes one record as Export gave it, with every index it implies,
// in one durable commit. It is idempotent: a record whose key the DB holds
// already (the same message id, mail id, transport and id of a parked
// receipt, number, policy counters, SIM and period, segment set, watched
// message, callback id) is left as the DB has it, nothing is written, and
// Import returns an error wrapping ErrExists, which a copy counts as
// already there rather than as a failure. Parts keep their state:
// submitting ones stay submitting until Recover puts them back in the
// queue, in doubt. A record that the DB could not keep (an empty id, a
// state out of range) is ErrInvalid.
func (db *DB) Import(ctx context.Context, r Record) error {
	kind, err := r.Kind()
	if err != nil {
		return fmt.Errorf("store: import: %w", err)
	}
	run, size, err := importRun(&r)
	if err != nil {
		return fmt.Errorf("store: import %s: %w", kind, err)
	}
	// A record held already is found without a write, so that a copy run
	// again costs reads only; the write checks again.
	held, err := db.holds(recordKey(&r))
	if err == nil && !held {
		err = db.do(ctx, "import "+kind, size, run)
	} else if held {
		err = ErrExists
	}
	if err != nil {
		return fmt.Errorf("store: import %s %s: %w", kind, recordName(&r), err)
	}
	return nil
}

// holds reports whether bucket bkt holds key.
func (db *DB) holds(bkt, key []byte) (bool, error) {
	var held bool
	err := db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bkt)
		held = b != nil && b.Get(key) != nil
		return nil
	})
	return held, err
}

// recordKey is the bucket and key r is kept under, those Import checks.
func recordKey(r *Record) (bkt, key []byte) {
	switch {
	case r.Message != nil:
		return bktMsg, msgKey(r.Message.ID)
	case r.Mail != nil:
		return bktOutbox, []byte(r.Mail.ID)
	case r.Parked != nil:
		return bktEarly, r.Parked.key()
	case r.Conversation != nil:
		return bktConv, []byte(r.Conversation.Number)
	case r.OptOut != nil:
		return bktOptOut, []byte(r.OptOut.Number)
	case r.Quota != nil:
		kind := byte('D')
		if r.Quota.Month {
			kind = 'M'
		}
		return bktQuota, quotaKey(r.Quota.SIM, kind, r.Quota.Period)
	case r.Segments != nil:
		return bktSegSet, []byte(r.Segments.Set)
	case r.Watch != nil:
		return bktWatch, msgKey(r.Watch.Msg)
	case r.Callback != nil:
		return bktCallback, []byte(r.Callback.ID)
	}
	return bktPolicy, keyDaily
}

// recordName is what names r in an error.
func recordName(r *Record) string {
	switch {
	case r.Message != nil:
		return r.Message.ID
	case r.Mail != nil:
		return r.Mail.ID
	case r.Parked != nil:
		return r.Parked.Transport + "/" + r.Parked.ID
	case r.Conversation != nil:
		return r.Conversation.Number
	case r.OptOut != nil:
		return r.OptOut.Number
	case r.Quota != nil:
		return r.Quota.SIM + "/" + r.Quota.Period
	case r.Segments != nil:
		return fmt.Sprintf("%q", r.Segments.Set)
	case r.Watch != nil:
		return r.Watch.Msg
	case r.Callback != nil:
		return r.Callback.ID
	}
	return "daily"
}

// importRun checks r and returns the change that writes it.
func importRun(r *Record) (run func(w *wtx) error, size int, err error) {
	switch {
	case r.Message != nil:
		m, delay := r.Message, r.DelayWatch
		if err := validateImport(m, delay); err != nil {
			return nil, 0, err
		}
		size = len(m.Original) + len(m.Header)
		for _, rc := range m.Recipients {
			size += 64 * len(rc.Parts)
		}
		return func(w *wtx) error { return w.importMessage(m, delay) }, size, nil
	case r.Mail != nil:
		m := *r.Mail
		if !validID(m.ID) || len(m.To) == 0 || len(m.To) > maxRecipients || m.Attempts < 0 {
			return nil, 0, fmt.Errorf("%w: mail %q with %d recipients", ErrInvalid, m.ID, len(m.To))
		}
		k, v := []byte(m.ID), encodeOutMail(&m)
		return func(w *wtx) error {
			return w.importKeyed(bktOutbox, k, v, indexEntry{bktOutDue, timedKey(m.NextAttempt, k)})
		}, len(v), nil
	case r.Parked != nil:
		p := *r.Parked
		if err := validTransport(p.Transport); err != nil || p.ID == "" {
			return nil, 0, fmt.Errorf("%w: parked receipt %q of %q", ErrInvalid, p.ID, p.Transport)
		}
		k, v := p.key(), encodeParked(&p)
		return func(w *wtx) error {
			return w.importKeyed(bktEarly, k, v, indexEntry{bktEarlyAt, timedKey(p.Parked, k)})
		}, len(v), nil
	case r.Conversation != nil:
		c := r.Conversation
		if c.Number == "" {
			return nil, 0, fmt.Errorf("%w: conversation without a number", ErrInvalid)
		}
		v := encodeConv(&c.Conversation)
		return func(w *wtx) error { return w.importKeyed(bktConv, []byte(c.Number), v) }, len(v), nil
	case r.OptOut != nil:
		o := r.OptOut
		if o.Number == "" {
			return nil, 0, fmt.Errorf("%w: opt-out without a number", ErrInvalid)
		}
		return func(w *wtx) error { return w.importKeyed(bktOptOut, []byte(o.Number), timeKey(o.Since)) }, 32, nil
	case r.PolicyCounters != nil:
		if len(r.PolicyCounters) == 0 {
			return nil, 0, fmt.Errorf("%w: empty policy counters", ErrInvalid)
		}
		v := bytes.Clone(r.PolicyCounters) // bbolt keeps it until the commit
		return func(w *wtx) error { return w.importKeyed(bktPolicy, keyDaily, v) }, len(v), nil
	case r.Quota != nil:
		return importQuota(*r.Quota)
	case r.Segments != nil:
		return importSegments(r.Segments)
	case r.Watch != nil:
		wt := *r.Watch
		if !validID(wt.Msg) {
			return nil, 0, fmt.Errorf("%w: watch of message %q", ErrInvalid, wt.Msg)
		}
		v := encodeWatch(&wt)
		return func(w *wtx) error { return w.importKeyed(bktWatch, msgKey(wt.Msg), v) }, len(v), nil
	case r.Callback != nil:
		c := *r.Callback
		if !validID(c.ID) || c.Attempts < 0 {
			return nil, 0, fmt.Errorf("%w: callback %q", ErrInvalid, c.ID)
		}
		k, v := []byte(c.ID), encodeCallback(&c)
		return func(w *wtx) error {
			return w.importKeyed(bktCallback, k, v, indexEntry{bktCallDue, timedKey(c.NextAttempt, k)})
		}, len(v), nil
	}
	return nil, 0, fmt.Errorf("%w: empty record", ErrInvalid)
}

// indexEntry is an empty value under key in bucket bkt.
type indexEntry struct{ bkt, key []byte }

// importKeyed stores v under k in bkt, and the index entries with it,
// unless bkt holds k already.
func (w *wtx) importKeyed(bkt, k, v []byte, index ...indexEntry) error {
	if w.get(bkt, k) != nil {
		return ErrExists
	}
	if err := w.put(bkt, k, v); err != nil {
		return err
	}
	for _, e := range index {
		if err := w.put(e.bkt, e.key, []byte{}); err != nil {
			return err
		}
	}
	return nil
}

func importQuota(q QuotaCount) (func(w *wtx) error, int, error) {
	kind, layout := byte('D'), "20060102"
	if q.Month {
		kind, layout = 'M', "200601"
	}
	if _, err := time.Parse(layout, q.Period); err != nil || !validID(q.SIM) || q.Count < 0 {
		return nil, 0, fmt.Errorf("%w: quota of SIM %q for %q: %d", ErrInvalid, q.SIM, q.Period, q.Count)
	}
	k := quotaKey(q.SIM, kind, q.Period)
	v := binary.BigEndian.AppendUint64(nil, uint64(q.Count))
	return func(w *wtx) error {
		w.wrote = true // the bucket may be made here
		b, err := w.tx.CreateBucketIfNotExists(bktQuota)
		if err != nil {
			return fmt.Errorf("bucket %s: %w", bktQuota, err)
		}
		if b.Get(k) != nil {
			return ErrExists
		}
		if err := b.Put(k, v); err != nil {
			return fmt.Errorf("put %s: %w", bktQuota, err)
		}
		return nil
	}, 64, nil
}

func importSegments(s *SegmentsCopy) (func(w *wtx) error, int, error) {
	if s.Set == "" || len(s.Set) > maxSetKeyLen || len(s.Segments) == 0 || len(s.Segments) > 255 || len(s.Digests) != len(s.Segments) {
		return nil, 0, fmt.Errorf("%w: segment set %q: %d segments, %d digests", ErrInvalid, s.Set, len(s.Segments), len(s.Digests))
	}
	r := segRecord{first: s.First, closed: s.Closed}
	for i, g := range s.Segments {
		if g.Seq < 1 || g.Seq > 255 || (i > 0 && g.Seq <= s.Segments[i-1].Seq) || !validID(g.ID) || len(s.Digests[i]) != segDigestLen {
			return nil, 0, fmt.Errorf("%w: segment set %q: segment %d (seq %d, id %q)", ErrInvalid, s.Set, i, g.Seq, g.ID)
		}
		r.segs = append(r.segs, g)
		r.digests = append(r.digests, s.Digests[i])
	}
	k, v := []byte(s.Set), encodeSegRecord(&r)
	return func(w *wtx) error {
		return w.importKeyed(bktSegSet, k, v, indexEntry{bktSegAt, timedKey(r.first, k)})
	}, len(v), nil
}

// validateImport checks what Enqueue checks, and that every part's state
// and counts are ones the part record can hold.
func validateImport(m *Message, delay []int) error {
	if err := validateMessage(m); err != nil {
		return err
	}
	if m.Received.IsZero() || !m.Class.Valid() {
		return fmt.Errorf("%w: message %s received %v in class %v", ErrInvalid, m.ID, m.Received, m.Class)
	}
	if p := m.Campaign; p != nil && (p.Window.Start < 0 || p.Window.Start >= 24*60 || p.Window.End < 0 || p.Window.End >= 24*60) {
		return fmt.Errorf("%w: message %s campaign window %+v", ErrInvalid, m.ID, p.Window)
	}
	for _, i := range delay {
		if i < 0 || i >= len(m.Recipients) {
			return fmt.Errorf("%w: message %s delay watch of recipient %d", ErrInvalid, m.ID, i)
		}
	}
	for i, r := range m.Recipients {
		for j, p := range r.Parts {
			if p.State < PartQueued || p.State > PartCancelled || p.Seq < 0 || p.Seq > maxParts || p.Total < 0 || p.Total > maxParts ||
				p.Attempts < 0 || p.Attempts > math.MaxInt32 || p.InDoubt < 0 || p.InDoubt > math.MaxInt32 ||
				strings.IndexByte(p.Transport, 0) >= 0 || strings.IndexByte(p.AlsoTransport, 0) >= 0 {
				return fmt.Errorf("%w: part %s: state %v, seq %d/%d, %d attempts, %d in doubt, transports %q %q", ErrInvalid,
					PartKey{m.ID, i, j}, p.State, p.Seq, p.Total, p.Attempts, p.InDoubt, p.Transport, p.AlsoTransport)
			}
		}
	}
	return nil
}

// importMessage writes m as it stands, with its recipients' progress and
// the indexes of each part's state.
func (w *wtx) importMessage(m *Message, delay []int) error {
	mk := msgKey(m.ID)
	if w.get(bktMsg, mk) != nil {
		return ErrExists
	}
	mr := msgRecord{Received: m.Received, Expires: m.Expires, Sender: m.Sender, Subject: m.Subject,
		MessageID: m.MessageID, EnvID: m.EnvID, Ret: m.Ret, Header: m.Header, Omitted: m.Omitted,
		Recipients: len(m.Recipients), Class: m.Class, Campaign: m.Campaign, Source: m.Source}
	if err := w.put(bktMsg, mk, encodeMsg(&mr)); err != nil {
		return err
	}
	if len(m.Original) > 0 {
		if err := w.put(bktOriginal, mk, bytes.Clone(m.Original)); err != nil {
			return err
		}
	}
	if m.Campaign != nil {
		if err := w.put(bktCampaign, timedKey(m.Received, mk), []byte{}); err != nil {
			return err
		}
	}
	open := 0 // recipients not final and reported
	for i, r := range m.Recipients {
		rk := RcptKey{m.ID, i}
		pending := 0
		for j := range r.Parts {
			p := r.Parts[j]
			kb := partKeyBytes(PartKey{m.ID, i, j})
			if err := w.put(bktPart, kb, encodePart(&p)); err != nil {
				return err
			}
			if err := w.importIndexes(kb, &p, m.Expires, m.Class); err != nil {
				return err
			}
			w.count(p.State, 1)
			if !p.State.Final() {
				pending++
			}
		}
		rr := rcptRecord{Address: r.Address, Number: r.Number, ORCPT: r.ORCPT, Notify: r.Notify,
			Reported: r.Reported, Parts: len(r.Parts), Pending: pending}
		if err := w.put(bktRcpt, rcptKeyBytes(rk), encodeRcpt(&rr)); err != nil {
			return err
		}
		if pending > 0 || !r.Reported {
			open++
		}
		if pending == 0 && !r.Reported {
			if err := w.put(bktUnreported, rcptKeyBytes(rk), []byte{}); err != nil {
				return err
			}
		}
	}
	if open > 0 {
		if err := w.put(bktOpen, mk, encodeCount(uint64(open))); err != nil {
			return err
		}
	} else if err := w.put(bktPurgeable, timedKey(m.Received, mk), []byte{}); err != nil {
		return err
	}
	for _, i := range delay {
		if err := w.put(bktDelay, timedKey(m.Received, rcptKeyBytes(RcptKey{m.ID, i})), []byte{}); err != nil {
			return err
		}
	}
	return nil
}

// importIndexes files part p (record key kb) as its state wants. A
// transport id another part holds in the index already stays with the
// part whose state changed last, as it would have in the source, where
// the newer send took the id over.
func (w *wtx) importIndexes(kb []byte, p *Part, expires time.Time, class priority.Class) error {
	if p.State != PartSubmitted {
		return w.enter(kb, p, expires, class)
	}
	for _, id := range [][2]string{{p.Transport, p.TransportID}, {p.AlsoTransport, p.AlsoID}} {
		if id[1] == "" {
			continue
		}
		tk := tidKey(id[0], id[1])
		newer, err := w.tidHeldByNewer(tk, kb, p.Updated)
		if err != nil {
			return err
		}
		if newer {
			continue
		}
		if err := w.put(bktTID, tk, kb); err != nil {
			return err
		}
	}
	if !expires.IsZero() {
		return w.put(bktOverdue, timedKey(expires, kb), []byte{})
	}
	return nil
}

// tidHeldByNewer reports whether the index entry tk names a part other
// than kb that changed after updated.
func (w *wtx) tidHeldByNewer(tk, kb []byte, updated time.Time) (bool, error) {
	held := w.get(bktTID, tk)
	if held == nil || bytes.Equal(held, kb) {
		return false, nil
	}
	k, err := parsePartKey(held)
	if err != nil {
		return false, nil // a mangled entry: the imported part takes it
	}
	other, err := loadPart(w.tx, held, k)
	if err != nil {
		return false, nil // names a part that is gone
	}
	return other.Updated.After(updated), nil
}
