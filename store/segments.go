package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// An integration that takes a long message in segments (an ESME's
// concatenated submit_sm) keeps each segment here, durably, before it
// answers for it; once its set is complete it enqueues the whole message
// and closes the set in one commit. A closed set remembers which segments
// it had (their ids and a digest of their data) until the integration
// forgets it, so that a segment sent again is recognised and not taken for
// a new message.

var (
	bktSegSet = []byte("segset") // set key → segment set record
	bktSegAt  = []byte("segat")  // First + set key
)

// maxSetKeyLen bounds a set's key: the integration's names, addresses and
// reference.
const maxSetKeyLen = 1024

// Segment is one segment of a concatenated message.
type Segment struct {
	Set      string // the integration's key of the set (who sent it, to whom, its reference and total)
	Seq      int    // 1-based, at most 255
	ID       string // the id the client was given for this segment
	Data     []byte // the integration's record of the segment; nil once its set is closed
	Received time.Time
}

// SegmentSet is the segments of one set as stored, in Seq order.
type SegmentSet struct {
	Set      string
	First    time.Time // when its first segment was stored
	Closed   bool      // its message was enqueued, or it was given up on
	Segments []Segment
}

// Has is the segment of the set numbered seq.
func (s *SegmentSet) Has(seq int) (Segment, bool) {
	for _, g := range s.Segments {
		if g.Seq == seq {
			return g, true
		}
	}
	return Segment{}, false
}

// segRecord is a set as stored: each segment keeps the digest of its data,
// which outlives the data once the set is closed.
type segRecord struct {
	first   time.Time
	closed  bool
	segs    []Segment
	digests [][]byte
}

const segDigestLen = 16

func segDigest(data []byte) []byte {
	d := sha256.Sum256(data)
	return d[:segDigestLen]
}

// PutSegment stores s, durably when it returns nil, and returns its set as
// stored then. A segment whose Seq the set holds already is not stored
// again: the set returned holds the first one (its ID is the one to give
// the client again). A segment for a closed set with the same Seq and data
// is such a repeat too; with other data the closed set is forgotten and s
// starts a new one (the client reused its reference).
func (db *DB) PutSegment(ctx context.Context, s Segment) (SegmentSet, error) {
	if s.Set == "" || len(s.Set) > maxSetKeyLen || s.Seq < 1 || s.Seq > 255 || !validID(s.ID) {
		return SegmentSet{}, fmt.Errorf("store: put segment: %w: set %q seq %d id %q", ErrInvalid, s.Set, s.Seq, s.ID)
	}
	if s.Received.IsZero() {
		s.Received = time.Now()
	}
	digest := segDigest(s.Data)
	var out SegmentSet
	err := db.do(ctx, "put-segment", len(s.Set)+len(s.ID)+len(s.Data)+64, func(w *wtx) error {
		k := []byte(s.Set)
		r, found, err := w.segSet(k)
		if err != nil {
			return err
		}
		if found {
			i := slices.IndexFunc(r.segs, func(g Segment) bool { return g.Seq == s.Seq })
			switch {
			case i >= 0 && (!r.closed || bytes.Equal(r.digests[i], digest)):
				out = r.set(s.Set)
				return nil
			case r.closed:
				if err := w.del(bktSegAt, timedKey(r.first, k)); err != nil {
					return err
				}
				found = false
			}
		}
		if !found {
			r = segRecord{first: s.Received}
			if err := w.put(bktSegAt, timedKey(r.first, k), []byte{}); err != nil {
				return err
			}
		}
		r.segs = append(r.segs, s)
		r.digests = append(r.digests, digest)
		sortSegments(&r)
		out = r.set(s.Set)
		return w.put(bktSegSet, k, encodeSegRecord(&r))
	})
	if err != nil {
		return SegmentSet{}, fmt.Errorf("store: put segment: %w", err)
	}
	return out, nil
}

// CloseSegments closes set and, in the same commit, enqueues m with its
// watch w (when m is not nil: the set's message, complete) and queues
// calls (what the client is owed: receipts for a set given up on). A set
// closed already is forgotten instead, and then m must be nil (ErrState
// otherwise: its message was enqueued once). ErrNotFound: no such set.
func (db *DB) CloseSegments(ctx context.Context, set string, m *Message, w Watch, calls []Callback) error {
	var pm *prepared
	var wv []byte
	size := 64 + len(set)
	if m != nil {
		var err error
		if pm, err = prepare(m, time.Now()); err != nil {
			return fmt.Errorf("store: close segments: %w", err)
		}
		w.Msg = m.ID
		w.Told = make([]uint8, len(m.Recipients))
		wv = encodeWatch(&w)
		size += pm.size + len(wv)
	}
	cvs, err := encodeCallbacks(calls)
	if err != nil {
		return fmt.Errorf("store: close segments: %w", err)
	}
	err = db.do(ctx, "close-segments", size, func(tx *wtx) error {
		k := []byte(set)
		r, found, err := tx.segSet(k)
		switch {
		case err != nil:
			return err
		case !found:
			return ErrNotFound
		case r.closed && m != nil:
			return ErrState
		case r.closed:
			if err := tx.del(bktSegAt, timedKey(r.first, k)); err != nil {
				return err
			}
			if err := tx.del(bktSegSet, k); err != nil {
				return err
			}
		default:
			r.closed = true
			for i := range r.segs {
				r.segs[i].Data = nil
			}
			if err := tx.put(bktSegSet, k, encodeSegRecord(&r)); err != nil {
				return err
			}
		}
		if pm != nil {
			if err := tx.enqueue(pm); err != nil {
				return err
			}
			if err := tx.put(bktWatch, msgKey(m.ID), wv); err != nil {
				return err
			}
		}
		return tx.queueCallbacks(calls, cvs)
	})
	if err != nil {
		return fmt.Errorf("store: close segments %q: %w", set, err)
	}
	return nil
}

// StaleSegments lists the sets first stored before before, open or
// closed, oldest first, at most limit.
func (db *DB) StaleSegments(before time.Time, limit int) ([]SegmentSet, error) {
	var out []SegmentSet
	err := db.view(func(tx *bolt.Tx) error {
		out = nil
		end := timeKey(before)
		sets := tx.Bucket(bktSegSet)
		c := tx.Bucket(bktSegAt).Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			if len(k) <= timeKeyLen {
				return fmt.Errorf("%w: segment index key %x", ErrCorrupt, k)
			}
			if bytes.Compare(k[:timeKeyLen], end) >= 0 {
				break
			}
			set := k[timeKeyLen:]
			r, err := decodeSegRecord(sets.Get(set))
			if err != nil {
				return fmt.Errorf("segment set %q: %w", set, err)
			}
			out = append(out, r.set(string(set)))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: stale segments: %w", err)
	}
	return out, nil
}

// QueueCallbacks queues calls that follow no message (what an integration
// owes its client of its own: an SMS from a phone for an ESME), durably
// when it returns nil. ErrExists: an id queued already.
func (db *DB) QueueCallbacks(ctx context.Context, calls []Callback) error {
	cvs, err := encodeCallbacks(calls)
	if err != nil {
		return fmt.Errorf("store: queue callbacks: %w", err)
	}
	size := 0
	for _, v := range cvs {
		size += len(v) + 32
	}
	err = db.do(ctx, "queue-callbacks", size, func(w *wtx) error { return w.queueCallbacks(calls, cvs) })
	if err != nil {
		return fmt.Errorf("store: queue callbacks: %w", err)
	}
	return nil
}

// encodeCallbacks checks and encodes calls, each due at its Created.
func encodeCallbacks(calls []Callback) ([][]byte, error) {
	vs := make([][]byte, 0, len(calls))
	for i := range calls {
		if !validID(calls[i].ID) {
			return nil, fmt.Errorf("%w: callback id %q", ErrInvalid, calls[i].ID)
		}
		c := calls[i]
		c.NextAttempt = c.Created
		vs = append(vs, encodeCallback(&c))
	}
	return vs, nil
}

// queueCallbacks stores calls, encoded as vs by encodeCallbacks.
func (w *wtx) queueCallbacks(calls []Callback, vs [][]byte) error {
	for i := range calls {
		ck := []byte(calls[i].ID)
		if w.get(bktCallback, ck) != nil {
			return ErrExists
		}
		if err := w.put(bktCallback, ck, vs[i]); err != nil {
			return err
		}
		if err := w.put(bktCallDue, timedKey(calls[i].Created, ck), []byte{}); err != nil {
			return err
		}
	}
	return nil
}

func (w *wtx) segSet(k []byte) (segRecord, bool, error) {
	v := w.get(bktSegSet, k)
	if v == nil {
		return segRecord{}, false, nil
	}
	r, err := decodeSegRecord(v)
	if err != nil {
		return segRecord{}, false, fmt.Errorf("segment set %q: %w", k, err)
	}
	return r, true, nil
}

func (r *segRecord) set(key string) SegmentSet {
	s := SegmentSet{Set: key, First: r.first, Closed: r.closed, Segments: slices.Clone(r.segs)}
	for i := range s.Segments {
		s.Segments[i].Set = key
	}
	return s
}

func sortSegments(r *segRecord) {
	idx := make([]int, len(r.segs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return r.segs[a].Seq - r.segs[b].Seq })
	segs, digests := make([]Segment, len(idx)), make([][]byte, len(idx))
	for i, j := range idx {
		segs[i], digests[i] = r.segs[j], r.digests[j]
	}
	r.segs, r.digests = segs, digests
}

func encodeSegRecord(r *segRecord) []byte {
	e := encoder{b: make([]byte, 0, 64)}
	e.u8(recordV1)
	e.time(r.first)
	e.boolean(r.closed)
	e.uvar(uint64(len(r.segs)))
	for i, s := range r.segs {
		e.uvar(uint64(s.Seq))
		e.str(s.ID)
		e.time(s.Received)
		e.bytes(r.digests[i])
		e.bytes(s.Data)
	}
	return e.b
}

func decodeSegRecord(b []byte) (segRecord, error) {
	d := decoder{b: b}
	var r segRecord
	d.version("segment set")
	r.first = d.time("segment set first")
	r.closed = d.boolean("segment set closed")
	n := d.count("segments", 255)
	for i := 0; i < n && d.err == nil; i++ {
		var s Segment
		s.Seq = d.count("segment seq", 255)
		s.ID = d.str("segment id")
		s.Received = d.time("segment received")
		digest := d.bytes("segment digest")
		s.Data = d.bytes("segment data")
		if d.err == nil && (s.Seq < 1 || len(digest) != segDigestLen) {
			d.fail("segment")
		}
		r.segs = append(r.segs, s)
		r.digests = append(r.digests, digest)
	}
	return r, d.done("segment set")
}
