package natsstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
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
	if err := s.writeAll(ctx, pm.rcpts, putCreate); err != nil {
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
		e, err := s.kv.Get(ctx, origKey(id, i))
		if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
			return nil, fmt.Errorf("%w: chunk %d of %d missing", store.ErrCorrupt, i, chunks)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, e.Value()...)
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

// Begin records an attempt before it is made: each listed part still
// queued becomes submitting, held by this instance, with Attempts+1 and
// Transport set. Parts not queued (begun by another instance, gone) are
// returned in skipped. Each recipient's parts are one compare-and-swap.
func (s *Store) Begin(ctx context.Context, keys []store.PartKey, transport string, now time.Time) (skipped []store.PartKey, err error) {
	if err := validTransport(transport); err != nil {
		return nil, err
	}
	var order []store.RcptKey
	byRcpt := map[store.RcptKey][]store.PartKey{}
	seen := map[store.PartKey]bool{}
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		rk := rcptOf(k)
		if byRcpt[rk] == nil {
			order = append(order, rk)
		}
		byRcpt[rk] = append(byRcpt[rk], k)
	}
	begun := map[store.PartKey]bool{}
	for _, rk := range order {
		var mine []store.PartKey
		err := s.change(ctx, rk, func(_ *msgRecord, r *rcptRecord) (bool, error) {
			mine = nil
			for _, k := range byRcpt[rk] {
				p, err := partOf(r, k)
				if err != nil || p.State != store.PartQueued {
					continue
				}
				p.State, p.Owner = store.PartSubmitting, s.opt.Instance
				p.Attempts++
				p.Transport, p.TransportID, p.Updated = transport, "", now
				mine = append(mine, k)
			}
			return len(mine) > 0, nil
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("natsstore: begin: %w", err)
		}
		for _, k := range mine {
			begun[k] = err == nil
		}
	}
	for _, k := range keys {
		if !begun[k] && !slices.Contains(skipped, k) {
			skipped = append(skipped, k)
		}
	}
	return skipped, nil
}

// Submitted records that the network accepted part k (submitting) under
// transportID. The id's record is written first, so that a receipt on any
// instance finds the part as soon as the part says it was submitted.
func (s *Store) Submitted(ctx context.Context, k store.PartKey, transportID string, now time.Time) error {
	err := s.submitted(ctx, k, transportID, now)
	if err != nil {
		return fmt.Errorf("natsstore: submitted %s: %w", k, err)
	}
	return nil
}

func (s *Store) submitted(ctx context.Context, k store.PartKey, transportID string, now time.Time) error {
	if transportID != "" {
		var transport string
		err := s.read(func(v *view) error {
			r := v.rcpts[rcptOf(k)]
			if r == nil || !v.visible(k.Msg) {
				return fmt.Errorf("part %s: %w", k, store.ErrNotFound)
			}
			p, err := partOf(r, k)
			if err != nil {
				return err
			}
			if p.State != store.PartSubmitting {
				return fmt.Errorf("%w: part is %s", store.ErrState, p.State)
			}
			transport = p.Transport
			return nil
		})
		if err != nil {
			return err
		}
		if err := s.writeTID(ctx, transport, transportID, k); err != nil {
			return err
		}
	}
	return s.change(ctx, rcptOf(k), func(_ *msgRecord, r *rcptRecord) (bool, error) {
		p, err := partOf(r, k)
		if err != nil {
			return false, err
		}
		if p.State != store.PartSubmitting {
			return false, fmt.Errorf("%w: part is %s", store.ErrState, p.State)
		}
		p.State, p.TransportID, p.Updated = store.PartSubmitted, transportID, now
		return true, nil
	})
}

func (s *Store) writeTID(ctx context.Context, transport, id string, k store.PartKey) error {
	_, err := s.write(ctx, tidKey(transport, id), encode(tidRecord{Msg: k.Msg, Rcpt: k.Rcpt, Part: k.Part}), 0, putAny)
	return err
}

// Retry puts part k (queued, submitting or submitted) back in the queue,
// due at next, with reason as its last error.
func (s *Store) Retry(ctx context.Context, k store.PartKey, next time.Time, reason string, now time.Time) error {
	if err := s.requeue(ctx, k, next, reason, now, 0, store.PartQueued, store.PartSubmitting, store.PartSubmitted); err != nil {
		return fmt.Errorf("natsstore: retry %s: %w", k, err)
	}
	return nil
}

// RetryInDoubt is Retry of a part submitting whose send's outcome is
// unknown; it counts the send in Part.InDoubt.
func (s *Store) RetryInDoubt(ctx context.Context, k store.PartKey, next time.Time, reason string, now time.Time) error {
	if err := s.requeue(ctx, k, next, reason, now, 1, store.PartSubmitting); err != nil {
		return fmt.Errorf("natsstore: retry in doubt %s: %w", k, err)
	}
	return nil
}

func (s *Store) requeue(ctx context.Context, k store.PartKey, next time.Time, reason string, now time.Time, inDoubt int, states ...store.PartState) error {
	return s.change(ctx, rcptOf(k), func(_ *msgRecord, r *rcptRecord) (bool, error) {
		p, err := partOf(r, k)
		if err != nil {
			return false, err
		}
		if !slices.Contains(states, p.State) {
			return false, fmt.Errorf("%w: part is %s", store.ErrState, p.State)
		}
		p.State, p.NextAttempt, p.TransportID, p.Error, p.Updated = store.PartQueued, next, "", reason, now
		p.InDoubt += inDoubt
		return true, nil
	})
}

// Finish gives part k a final state with reason as its status text;
// rcptDone is true when this call made the recipient's last open part
// final. A part final already is left alone: (false, nil).
func (s *Store) Finish(ctx context.Context, k store.PartKey, state store.PartState, reason string, now time.Time) (rcptDone bool, err error) {
	return s.finish(ctx, k, state, "", reason, now)
}

// FinishReceipt is Finish for a part a delivery receipt made final, with
// the network's state in Part.Receipt.
func (s *Store) FinishReceipt(ctx context.Context, k store.PartKey, state store.PartState, receipt, reason string, now time.Time) (rcptDone bool, err error) {
	return s.finish(ctx, k, state, receipt, reason, now)
}

func (s *Store) finish(ctx context.Context, k store.PartKey, state store.PartState, receipt, reason string, now time.Time) (bool, error) {
	if !state.Final() || state > store.PartCancelled {
		return false, fmt.Errorf("natsstore: finish %s: %w: %s is not a final state", k, store.ErrInvalid, state)
	}
	var done bool
	err := s.change(ctx, rcptOf(k), func(_ *msgRecord, r *rcptRecord) (bool, error) {
		done = false
		p, err := partOf(r, k)
		if err != nil || p.State.Final() {
			return false, err
		}
		p.State, p.Error, p.Receipt, p.Updated = state, reason, receipt, now
		done = r.pending() == 0
		return true, nil
	})
	if err != nil {
		return false, fmt.Errorf("natsstore: finish %s: %w", k, err)
	}
	return done, nil
}

// LateID records that the network accepted a send of part k under id on
// transport after the gateway had given up waiting; see store.DB.LateID.
func (s *Store) LateID(ctx context.Context, k store.PartKey, transport, id string, now time.Time) (store.LateOutcome, error) {
	if err := validTransport(transport); err != nil {
		return 0, err
	}
	if err := s.writeTID(ctx, transport, id, k); err != nil {
		return 0, fmt.Errorf("natsstore: late id %s: %w", k, err)
	}
	var out store.LateOutcome
	err := s.change(ctx, rcptOf(k), func(_ *msgRecord, r *rcptRecord) (bool, error) {
		p, err := partOf(r, k)
		if err != nil {
			return false, err
		}
		if (p.Transport == transport && p.TransportID == id) || (p.AlsoTransport == transport && p.AlsoID == id) {
			out = store.LateKept
			return false, nil
		}
		p.Updated = now
		switch p.State {
		case store.PartQueued:
			out = store.LateSubmitted
			p.State, p.Transport, p.TransportID, p.Error = store.PartSubmitted, transport, id, ""
			p.InDoubt = max(p.InDoubt-1, 0) // that send is no longer in doubt
		case store.PartSubmitting, store.PartSubmitted, store.PartDelivered:
			out = store.LateDuplicate
			p.AlsoTransport, p.AlsoID = transport, id
		default:
			out = store.LateKept
			p.AlsoTransport, p.AlsoID = transport, id
		}
		return true, nil
	})
	if err != nil {
		return 0, fmt.Errorf("natsstore: late id %s: %w", k, err)
	}
	return out, nil
}

// Recover is called once at start: this instance's parts left submitting
// by its crash (they may or may not have reached the network) go back to
// the queue, due at now, counted in doubt. Parts of no instance (imported)
// count as this one's.
func (s *Store) Recover(now time.Time) ([]store.PartKey, error) {
	keys, err := s.inDoubt(context.Background(), now, "attempt in doubt after restart", func(_ *view, owner string) bool {
		return owner == s.opt.Instance || owner == ""
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: recover: %w", err)
	}
	return keys, nil
}

// Takeover puts back in the queue, in doubt as Recover does, the parts
// submitting of instances whose heartbeat this one has not seen for the
// lease. The store calls it every third of the lease.
func (s *Store) Takeover(ctx context.Context, now time.Time) ([]store.PartKey, error) {
	keys, err := s.inDoubt(ctx, now, "attempt in doubt: its instance is gone", func(v *view, owner string) bool {
		return owner != "" && !s.alive(v, owner)
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: takeover: %w", err)
	}
	return keys, nil
}

func (s *Store) inDoubt(ctx context.Context, now time.Time, reason string, take func(v *view, owner string) bool) ([]store.PartKey, error) {
	byRcpt := map[store.RcptKey]bool{}
	err := s.read(func(v *view) error {
		for k, owner := range v.submitting {
			if take(v, owner) {
				byRcpt[rcptOf(k)] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []store.PartKey
	for rk := range byRcpt {
		var mine []store.PartKey
		err := s.change(ctx, rk, func(_ *msgRecord, r *rcptRecord) (bool, error) {
			mine = nil
			for i := range r.Parts {
				p := &r.Parts[i]
				if p.State != store.PartSubmitting {
					continue
				}
				var ok bool
				_ = s.read(func(v *view) error { ok = take(v, p.Owner); return nil })
				if !ok {
					continue
				}
				p.State, p.NextAttempt, p.Error, p.Updated = store.PartQueued, now, reason, now
				p.InDoubt++ // it may have reached the network: one send in doubt
				mine = append(mine, store.PartKey{Msg: rk.Msg, Rcpt: rk.Rcpt, Part: i})
			}
			return len(mine) > 0, nil
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return out, err
		}
		if err == nil {
			out = append(out, mine...)
		}
	}
	slices.SortFunc(out, cmpPart)
	return out, nil
}

// Via reports how recipient k's parts have gone out.
func (s *Store) Via(k store.RcptKey) (store.Via, error) {
	var out store.Via
	err := s.read(func(v *view) error {
		r := v.rcpts[k]
		if r == nil || !v.visible(k.Msg) {
			return fmt.Errorf("recipient %s: %w", k, store.ErrNotFound)
		}
		for _, p := range r.Parts {
			switch p.State {
			case store.PartSubmitting:
				out.InFlight++
			case store.PartSubmitted, store.PartDelivered:
			default:
				continue
			}
			if out.Transport == "" || out.ID == "" && p.TransportID != "" {
				out.Transport, out.ID = p.Transport, p.TransportID
			}
		}
		return nil
	})
	if err != nil {
		return store.Via{}, fmt.Errorf("natsstore: via %s: %w", k, err)
	}
	return out, nil
}

// RequeueRecipient puts every part of recipient k that has gone out
// (submitted or delivered) back in the queue, due at now, keeping the
// transport it went through in MovedFrom; see store.DB.RequeueRecipient.
func (s *Store) RequeueRecipient(ctx context.Context, k store.RcptKey, reason string, now time.Time) (int, error) {
	var n int
	err := s.change(ctx, k, func(_ *msgRecord, r *rcptRecord) (bool, error) {
		n = 0
		wasFinal := r.pending() == 0
		reopened := 0
		for i := range r.Parts {
			p := &r.Parts[i]
			if p.State != store.PartSubmitted && p.State != store.PartDelivered {
				continue
			}
			if p.State == store.PartDelivered {
				reopened++
			}
			p.State, p.NextAttempt, p.MovedFrom = store.PartQueued, now, p.Transport
			p.TransportID, p.Error, p.Updated = "", reason, now
			n++
		}
		if reopened > 0 && wasFinal {
			return false, fmt.Errorf("recipient %s: %w: delivered parts reopened after it was final", k, store.ErrState)
		}
		return n > 0, nil
	})
	if err != nil {
		return 0, fmt.Errorf("natsstore: resend %s: %w", k, err)
	}
	return n, nil
}

// recipients is the number of recipients of message id, ErrNotFound when
// there is no such message.
func (s *Store) recipients(id string) (int, error) {
	var n int
	err := s.read(func(v *view) error {
		m := v.msgs[id]
		if m == nil {
			return fmt.Errorf("message %s: %w", id, store.ErrNotFound)
		}
		n = m.Recipients
		return nil
	})
	return n, err
}

// CancelQueued cancels every part of message id still queued; parts under
// way or sent are left alone. It returns how many it cancelled and the
// recipients it made final.
func (s *Store) CancelQueued(ctx context.Context, id, reason string, now time.Time) (cancelled int, done []store.RcptKey, err error) {
	n, err := s.recipients(id)
	if err != nil {
		return 0, nil, fmt.Errorf("natsstore: cancel %s: %w", id, err)
	}
	for i := range n {
		rk := store.RcptKey{Msg: id, Rcpt: i}
		var c int
		var final bool
		err := s.change(ctx, rk, func(_ *msgRecord, r *rcptRecord) (bool, error) {
			c, final = 0, false
			for j := range r.Parts {
				if p := &r.Parts[j]; p.State == store.PartQueued {
					p.State, p.Error, p.Updated = store.PartCancelled, reason, now
					c++
				}
			}
			final = c > 0 && r.pending() == 0
			return c > 0, nil
		})
		if err != nil {
			return cancelled, done, fmt.Errorf("natsstore: cancel %s: %w", id, err)
		}
		cancelled += c
		if final {
			done = append(done, rk)
		}
	}
	return cancelled, done, nil
}

// RetryQueued makes every queued part of message id due at now and returns
// how many parts are queued.
func (s *Store) RetryQueued(ctx context.Context, id string, now time.Time) (queued int, err error) {
	n, err := s.recipients(id)
	if err != nil {
		return 0, fmt.Errorf("natsstore: retry %s: %w", id, err)
	}
	for i := range n {
		var q int
		err := s.change(ctx, store.RcptKey{Msg: id, Rcpt: i}, func(_ *msgRecord, r *rcptRecord) (bool, error) {
			q = 0
			changed := false
			for j := range r.Parts {
				p := &r.Parts[j]
				if p.State != store.PartQueued {
					continue
				}
				q++
				if p.NextAttempt.After(now) {
					p.NextAttempt, p.Updated = now, now
					changed = true
				}
			}
			return changed, nil
		})
		if err != nil {
			return queued, fmt.Errorf("natsstore: retry %s: %w", id, err)
		}
		queued += q
	}
	return queued, nil
}

// Resend puts the failed and expired parts of message id back in the
// queue, due now with no attempts counted, and gives the message the
// validity expires; their recipients are reported again when they end.
func (s *Store) Resend(ctx context.Context, id string, expires, now time.Time) (queued int, err error) {
	if err := s.setExpires(ctx, id, expires); err != nil {
		return 0, fmt.Errorf("natsstore: resend %s: %w", id, err)
	}
	n, err := s.recipients(id)
	if err != nil {
		return 0, fmt.Errorf("natsstore: resend %s: %w", id, err)
	}
	for i := range n {
		var q int
		err := s.change(ctx, store.RcptKey{Msg: id, Rcpt: i}, func(_ *msgRecord, r *rcptRecord) (bool, error) {
			q = 0
			for j := range r.Parts {
				p := &r.Parts[j]
				if p.State != store.PartFailed && p.State != store.PartExpired {
					continue
				}
				p.State, p.Attempts, p.NextAttempt, p.Error, p.Updated = store.PartQueued, 0, now, "", now
				q++
			}
			if q > 0 {
				r.Reported = false
				r.Gen++
			}
			return q > 0, nil
		})
		if err != nil {
			return queued, fmt.Errorf("natsstore: resend %s: %w", id, err)
		}
		queued += q
	}
	return queued, nil
}

// setExpires gives message id a new validity by compare-and-swap.
func (s *Store) setExpires(ctx context.Context, id string, expires time.Time) error {
	k := msgKey(id)
	for try := 0; ; try++ {
		var m msgRecord
		var rev uint64
		err := s.read(func(v *view) error {
			mr := v.msgs[id]
			if mr == nil {
				return fmt.Errorf("message %s: %w", id, store.ErrNotFound)
			}
			m, rev = *mr, v.keys[k].rev
			return nil
		})
		if err != nil {
			return err
		}
		m.Expires = expires
		_, err = s.write(ctx, k, encode(&m), rev, putUpdate)
		if errors.Is(err, errConflict) && try < maxCAS {
			if err := s.refresh(ctx, k); err != nil {
				return err
			}
			continue
		}
		return err
	}
}

// MarkReported records that recipient k's report has been handed on (or
// that none is due). Marking twice is a no-op; marking before the parts
// are final keeps the recipient out of Unreported later.
func (s *Store) MarkReported(ctx context.Context, k store.RcptKey) error {
	if err := s.markReported(ctx, k); err != nil {
		return fmt.Errorf("natsstore: mark reported %s: %w", k, err)
	}
	return nil
}

func (s *Store) markReported(ctx context.Context, k store.RcptKey) error {
	return s.change(ctx, k, func(_ *msgRecord, r *rcptRecord) (bool, error) {
		if r.Reported {
			return false, nil
		}
		r.Reported = true
		return true, nil
	})
}

// Unreported lists recipients whose parts are all final and whose report
// has not been handed on, oldest message id first, at most limit: those
// this instance holds, and those of instances gone, which it takes over
// first. Each is reported by one instance.
func (s *Store) Unreported(limit int) ([]store.RcptKey, error) {
	var mine, claim []store.RcptKey
	err := s.read(func(v *view) error {
		for _, k := range v.unreported.items {
			if len(mine)+len(claim) == limit {
				break
			}
			switch h := v.rcpts[k].Holder; {
			case h == s.opt.Instance:
				mine = append(mine, k)
			case !s.alive(v, h):
				claim = append(claim, k)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: unreported: %w", err)
	}
	for _, k := range claim {
		err := s.change(context.Background(), k, func(_ *msgRecord, r *rcptRecord) (bool, error) {
			var dead bool
			_ = s.read(func(v *view) error { dead = !s.alive(v, r.Holder); return nil })
			if r.pending() > 0 || r.Reported || !dead {
				return false, errNotClaimed
			}
			r.Holder = s.opt.Instance
			return true, nil
		})
		switch {
		case err == nil:
			mine = append(mine, k)
		case !errors.Is(err, errNotClaimed) && !errors.Is(err, store.ErrNotFound):
			return nil, fmt.Errorf("natsstore: unreported: %w", err)
		}
	}
	slices.SortFunc(mine, cmpRcpt)
	return mine, nil
}

// errNotClaimed: another instance holds what was to be claimed.
var errNotClaimed = errors.New("natsstore: held by another instance")

// Purge deletes messages whose recipients are all final and reported and
// that were received before before, with everything that names them. The
// message record goes first: the message is gone at once, and what a cut
// short Purge leaves is swept as orphans.
func (s *Store) Purge(ctx context.Context, before time.Time) (int, error) {
	var ids []string
	err := s.read(func(v *view) error {
		for _, t := range v.purgeable.items {
			if !t.t.Before(before) {
				break
			}
			ids = append(ids, t.id)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("natsstore: purge: %w", err)
	}
	n := 0
	for _, id := range ids {
		var keys []string
		var rev uint64
		err := s.read(func(v *view) error {
			c := v.msgIdx[id]
			m := v.msgs[id]
			if c == nil || !c.purgeable || m == nil {
				return nil
			}
			rev = v.keys[msgKey(id)].rev
			for i := range m.Recipients {
				keys = append(keys, rcptKey(store.RcptKey{Msg: id, Rcpt: i}))
			}
			for i := range m.Original {
				keys = append(keys, origKey(id, i))
			}
			if _, ok := v.rev(watchKey(id)); ok {
				keys = append(keys, watchKey(id))
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("natsstore: purge: %w", err)
		}
		if rev == 0 {
			continue
		}
		err = s.remove(ctx, msgKey(id), rev)
		if errors.Is(err, errConflict) {
			continue // it changed meanwhile: the next purge decides again
		}
		if err != nil {
			return n, fmt.Errorf("natsstore: purge %s: %w", id, err)
		}
		n++
		for _, k := range keys {
			if err := s.remove(ctx, k, 0); err != nil {
				return n, fmt.Errorf("natsstore: purge %s: %w", id, err)
			}
		}
	}
	return n, nil
}
