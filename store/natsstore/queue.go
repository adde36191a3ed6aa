package natsstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/smsbridge/smsbridge/store"
)

const (
	maxIDLen      = 255
	maxRecipients = math.MaxUint16 + 1
	maxParts      = math.MaxUint16 + 1
)

func validID(id string) bool { return id != "" && len(id) <= maxIDLen }

func validTransport(name string) error {
	if name == "" || strings.IndexByte(name, 0) >= 0 || len(name) > 1024 {
		return fmt.Errorf("%w: transport name %q", store.ErrInvalid, name)
	}
	return nil
}

// record is one key and value to write.
type record struct {
	key string
	val []byte
}

// prepared is a message encoded for Enqueue: its recipients, original and
// conversations first, its message record last.
type prepared struct {
	id     string
	msg    []byte
	before []record // written with putAny
	rcpts  []record // written with putCreate
}

func (s *Store) prepare(m *store.Message, w *store.Watch) (*prepared, error) {
	if !validID(m.ID) {
		return nil, fmt.Errorf("%w: message id %q", store.ErrInvalid, m.ID)
	}
	if len(m.Recipients) == 0 || len(m.Recipients) > maxRecipients {
		return nil, fmt.Errorf("%w: %d recipients", store.ErrInvalid, len(m.Recipients))
	}
	for i, r := range m.Recipients {
		if len(r.Parts) == 0 || len(r.Parts) > maxParts {
			return nil, fmt.Errorf("%w: recipient %d has %d parts", store.ErrInvalid, i, len(r.Parts))
		}
	}
	received := m.Received
	if received.IsZero() {
		received = time.Now()
	}
	pm := &prepared{id: m.ID}
	mr := msgRecord{Received: received, Expires: m.Expires, Sender: m.Sender, Source: m.Source, Subject: m.Subject,
		MessageID: m.MessageID, EnvID: m.EnvID, Ret: m.Ret, Header: m.Header, Omitted: m.Omitted, Class: m.Class,
		Campaign: m.Campaign, Recipients: len(m.Recipients)}
	for i := 0; i*s.chunk < len(m.Original); i++ {
		end := min((i+1)*s.chunk, len(m.Original))
		pm.before = append(pm.before, record{origKey(m.ID, i), m.Original[i*s.chunk : end]})
		mr.Original++
	}
	for i := range m.Recipients {
		r := &m.Recipients[i]
		rr := rcptRecord{Address: r.Address, Number: r.Number, ORCPT: r.ORCPT, Notify: r.Notify, Reported: r.Reported,
			Delay: r.Notify&store.NotifyDelay != 0 && !r.Reported}
		for _, p := range r.Parts {
			next := received
			if p.NextAttempt.After(received) {
				next = p.NextAttempt
			}
			p.State, p.Attempts, p.NextAttempt, p.Updated = store.PartQueued, 0, next, received
			p.Transport, p.TransportID, p.Error = "", "", ""
			rr.Parts = append(rr.Parts, partRecord{Part: p})
		}
		pm.rcpts = append(pm.rcpts, record{rcptKey(store.RcptKey{Msg: m.ID, Rcpt: i}), encode(&rr)})
		if m.Sender != "" {
			c := store.Conversation{Sender: m.Sender, Subject: m.Subject, MessageID: m.MessageID, Updated: received}
			pm.before = append(pm.before, record{convKey(r.Number), encode(&c)})
		}
	}
	if w != nil {
		w.Msg = m.ID
		w.Told = make([]uint8, len(m.Recipients))
		pm.before = append(pm.before, record{watchKey(m.ID), encode(w)})
	}
	pm.msg = encode(&mr)
	return pm, nil
}

// Enqueue stores a whole message with its recipients and parts, every
// part queued, due at m.Received (now when zero) or its later
// NextAttempt, as bbolt's Enqueue. Its message record is written last:
// the message exists once that is on a quorum.
func (s *Store) Enqueue(ctx context.Context, m *store.Message) error {
	return s.enqueue(ctx, m, nil)
}

// EnqueueWatched is Enqueue with w stored before the message record: the
// message is never visible unwatched. w.Msg is set to m.ID.
func (s *Store) EnqueueWatched(ctx context.Context, m *store.Message, w store.Watch) error {
	return s.enqueue(ctx, m, &w)
}

func (s *Store) enqueue(ctx context.Context, m *store.Message, w *store.Watch) error {
	pm, err := s.prepare(m, w)
	if err != nil {
		return fmt.Errorf("natsstore: enqueue: %w", err)
	}
	if err := s.commit(ctx, pm); err != nil {
		return fmt.Errorf("natsstore: enqueue %s: %w", m.ID, err)
	}
	return nil
}

func (s *Store) commit(ctx context.Context, pm *prepared) error {
	err := s.read(func(v *view) error {
		if v.msgs[pm.id] != nil {
			return store.ErrExists
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = s.writeAll(ctx, pm.rcpts, putCreate)
	if errors.Is(err, store.ErrExists) {
		// Recipient records of this id without its message record are
		// what an Enqueue of it that failed left: this one replaces them.
		if err := s.refresh(ctx, msgKey(pm.id)); err != nil {
			return err
		}
		if err := s.read(func(v *view) error {
			if v.msgs[pm.id] != nil {
				return store.ErrExists
			}
			return nil
		}); err != nil {
			return err
		}
		err = s.writeAll(ctx, pm.rcpts, putAny)
	}
	if err != nil {
		return err
	}
	if err := s.writeAll(ctx, pm.before, putAny); err != nil {
		return err
	}
	_, err = s.write(ctx, msgKey(pm.id), pm.msg, 0, putCreate)
	return err
}

// writers bounds the writes one Enqueue has in flight at once.
const writers = 16

// writeAll writes records, several at a time (a campaign's recipients
// are thousands of records), and returns the first error.
func (s *Store) writeAll(ctx context.Context, records []record, mode putMode) error {
	if len(records) == 1 {
		_, err := s.write(ctx, records[0].key, records[0].val, 0, mode)
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	sem := make(chan struct{}, writers)
	for _, r := range records {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := s.write(ctx, r.key, r.val, 0, mode); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}()
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return first
}

// Message returns message id with all its recipients and parts, or
// store.ErrNotFound.
func (s *Store) Message(id string) (*store.Message, error) {
	var m *store.Message
	err := s.read(func(v *view) error {
		mr, rs, ok := v.message(id)
		if !ok {
			return fmt.Errorf("message %s: %w", id, store.ErrNotFound)
		}
		m = &store.Message{ID: id, Received: mr.Received, Expires: mr.Expires, Sender: mr.Sender, Source: mr.Source,
			Subject: mr.Subject, MessageID: mr.MessageID, EnvID: mr.EnvID, Ret: mr.Ret, Header: mr.Header,
			Omitted: mr.Omitted, Class: mr.Class, Campaign: mr.Campaign}
		for _, r := range rs {
			rc := store.Recipient{Address: r.Address, Number: r.Number, ORCPT: r.ORCPT, Notify: r.Notify, Reported: r.Reported}
			for _, p := range r.Parts {
				rc.Parts = append(rc.Parts, p.Part)
			}
			m.Recipients = append(m.Recipients, rc)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: %w", err)
	}
	return m, nil
}

// Original returns the whole mail kept for RET=FULL reports, nil when none
// was kept. Its chunks are read from the server: the view does not hold
// them.
func (s *Store) Original(id string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.opt.Timeout)
	defer cancel()
	out, err := s.original(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("natsstore: original %s: %w", id, err)
	}
	return out, nil
}

func (s *Store) original(ctx context.Context, id string) ([]byte, error) {
	var chunks int
	if err := s.read(func(v *view) error {
		if m := v.msgs[id]; m != nil {
			chunks = m.Original
		}
		return nil
	}); err != nil {
		return nil, err
	}
	var out []byte
	for i := range chunks {
		e, err := s.leader.get(ctx, origKey(id, i))
		if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
			return nil, fmt.Errorf("%w: chunk %d of %d missing", store.ErrCorrupt, i, chunks)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, e.val...)
	}
	return out, nil
}

// change applies fn to recipient k by compare-and-swap. fn gets a copy of
// the record as the view holds it and reports whether it changed it; when
// another writer got there first the record is read again and fn runs
// again. A change that makes the recipient final makes this instance its
// holder, and network ids the parts no longer hold leave the id index.
func (s *Store) change(ctx context.Context, k store.RcptKey, fn func(m *msgRecord, r *rcptRecord) (bool, error)) error {
	rk := rcptKey(k)
	for try := 0; ; try++ {
		var m *msgRecord
		var old *rcptRecord
		var rev uint64
		err := s.read(func(v *view) error {
			if v.visible(k.Msg) {
				m, old = v.msgs[k.Msg], v.rcpts[k]
			}
			rev, _ = v.rev(rk)
			return nil
		})
		if err != nil {
			return err
		}
		if m == nil || old == nil {
			if try > 0 || !validID(k.Msg) {
				return fmt.Errorf("recipient %s: %w", k, store.ErrNotFound)
			}
			// The watcher may not have brought another instance's Enqueue yet.
			if err := s.refreshAll(ctx, msgKey(k.Msg), rk); err != nil {
				return err
			}
			continue
		}
		r := old.clone()
		changed, err := fn(m, r)
		if err != nil || !changed {
			return err
		}
		if old.pending() > 0 && r.pending() == 0 {
			r.Delay, r.Holder = false, s.opt.Instance
		}
		for i := range r.Parts {
			p := &r.Parts[i]
			if !p.State.Final() {
				p.Receipt = "" // it belongs to a final state: a part sent again waits for a new one
			}
			if p.State != store.PartSubmitting {
				p.Owner = ""
			}
		}
		_, err = s.write(ctx, rk, encode(r), rev, putUpdate)
		if errors.Is(err, errConflict) && try < maxCAS {
			pause(try)
			if err := s.refresh(ctx, rk); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		s.unindex(ctx, old, r)
		return nil
	}
}

func (s *Store) refreshAll(ctx context.Context, keys ...string) error {
	for _, k := range keys {
		if err := s.refresh(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// unindex deletes the id records of the network ids old's parts held while
// submitted and r's no longer do. It is tidiness only: Lookup checks the
// part an id record names, so one left behind misleads nobody.
func (s *Store) unindex(ctx context.Context, old, r *rcptRecord) {
	held := func(rec *rcptRecord) map[string]bool {
		ids := map[string]bool{}
		for _, p := range rec.Parts {
			if p.State != store.PartSubmitted {
				continue
			}
			if p.TransportID != "" {
				ids[tidKey(p.Transport, p.TransportID)] = true
			}
			if p.AlsoID != "" {
				ids[tidKey(p.AlsoTransport, p.AlsoID)] = true
			}
		}
		return ids
	}
	now := held(r)
	for k := range held(old) {
		if now[k] {
			continue
		}
		if err := s.remove(ctx, k, 0); err != nil {
			s.log.Debug("network id record not deleted", "key", k, "err", err)
		}
	}
}

// partOf checks that k names a part of r.
func partOf(r *rcptRecord, k store.PartKey) (*partRecord, error) {
	if k.Part < 0 || k.Part >= len(r.Parts) {
		return nil, fmt.Errorf("part %s: %w", k, store.ErrNotFound)
	}
	return &r.Parts[k.Part], nil
}

func rcptOf(k store.PartKey) store.RcptKey { return store.RcptKey{Msg: k.Msg, Rcpt: k.Rcpt} }
