// Package natsstore keeps smsbridge's durable queue in a NATS JetStream
// key-value bucket, so that several gateway instances share one queue.
// It keeps the promises of the bbolt store (package store): a change is
// durable when it returns, on as many servers as the bucket has replicas.
//
// Every record lives in one bucket; each process holds all of it in
// memory (the view), fed by a watcher over the bucket, and serves every
// read from there, but for the originals kept for RET=FULL reports,
// which are read from the server when a report needs one. Writes are
// compare-and-swap on the record's revision, and go into the view at once.
// A message becomes visible with its message record, which Enqueue writes
// last; a recipient record holds all its parts, so a part's change and
// the recipient's state it implies are one write.
//
// Nothing relies on the server expiring keys: an instance is alive while
// its heartbeats arrive, by this process's clock.
//
// Instances share the work: Begin takes a part for this instance by
// compare-and-swap, and the parts an instance held submitting when it
// died are taken over by the others once its heartbeat has not been seen
// for the lease. Reports, delay notices, outbox mail and callbacks have a
// holder too, so that each is handled by one instance.
package natsstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/smsbridge/smsbridge/internal/kvbucket"
	"github.com/smsbridge/smsbridge/store"
)

// Options tune Open.
type Options struct {
	Prefix   string        // the bucket is <Prefix>_Q; default "sb"
	Instance string        // this gateway instance's stable name; required
	Replicas int           // the bucket's replicas; default 1
	LeaseTTL time.Duration // how long an instance unseen counts as alive; default 30s
	Timeout  time.Duration // bounds each write; default 5s
	Logger   *slog.Logger  // default slog.Default()
}

// orphanAge is how old a record of a message that has no message record
// must be before it counts as left by a failed Enqueue or Purge.
const orphanAge = time.Minute

// markerAge is how long a delete marker stays in the bucket: long enough
// for every view to have read it.
const markerAge = time.Hour

// maxCAS bounds the compare-and-swap retries of one change.
const maxCAS = 32

// pause waits before the compare-and-swap retry after try lost ones, a
// random while that grows with try, so that writers racing for one
// record (a SIM's count) take turns instead of colliding again.
func pause(try int) {
	time.Sleep(time.Duration(rand.Int64N(int64(min(try+1, 10)) * int64(time.Millisecond))))
}

// Store is an open queue in a JetStream bucket. Its methods are safe for
// concurrent use.
type Store struct {
	kv     jetstream.KeyValue
	stream jetstream.Stream // the bucket's, for purges of subjects
	leader leaderReader     // reads that must not come from a replica behind
	opt    Options
	log    *slog.Logger
	view   *view

	chunk int // the most bytes of an original per record

	stop    context.CancelFunc
	loops   sync.WaitGroup
	watcher jetstream.KeyWatcher

	closeOnce sync.Once
	health    health

	// echoed is when the watcher last brought this instance's own
	// heartbeat back (Unix nanoseconds): how far behind the view is.
	echoed atomic.Int64
}

// Open opens (creating it when needed) the bucket of opts.Prefix on js,
// loads it into memory and starts this instance's heartbeat. The caller
// keeps js's connection; Close leaves it open.
func Open(ctx context.Context, js jetstream.JetStream, opts Options) (*Store, error) {
	if opts.Instance == "" {
		return nil, fmt.Errorf("natsstore: open: %w: no instance name", store.ErrInvalid)
	}
	if opts.Prefix == "" {
		opts.Prefix = "sb"
	}
	if opts.Replicas <= 0 {
		opts.Replicas = 1
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 30 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	log := opts.Logger.With("component", "natsstore", "instance", opts.Instance)
	kv, err := kvbucket.Open(ctx, js, jetstream.KeyValueConfig{
		Bucket: opts.Prefix + "_Q", History: 1, Replicas: opts.Replicas, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: open bucket %s_Q: %w", opts.Prefix, err)
	}
	stream, err := js.Stream(ctx, "KV_"+opts.Prefix+"_Q")
	if err != nil {
		return nil, fmt.Errorf("natsstore: open bucket %s_Q: %w", opts.Prefix, err)
	}
	s := &Store{kv: kv, stream: stream, leader: newLeaderReader(js, opts.Prefix+"_Q"), opt: opts, log: log, view: newView(log)}
	s.echoed.Store(time.Now().UnixNano())
	// A record, its key and headers must fit the server's payload limit.
	s.chunk = max(int(js.Conn().MaxPayload())-4096, 1024)
	// The watcher outlives ctx, which bounds only the opening.
	loopCtx, stop := context.WithCancel(context.Background())
	w, err := kv.WatchFiltered(loopCtx, watched())
	if err != nil {
		stop()
		return nil, fmt.Errorf("natsstore: watch %s_Q: %w", opts.Prefix, err)
	}
	s.watcher, s.stop = w, stop
	if err := s.load(ctx); err != nil {
		stop()
		_ = w.Stop()
		return nil, err
	}
	if err := s.heartbeat(ctx); err != nil {
		stop()
		_ = w.Stop()
		return nil, err
	}
	s.loops.Add(2)
	go s.watch(loopCtx)
	go s.tend(loopCtx)
	return s, nil
}

// load applies the watcher's initial values, up to its nil marker.
func (s *Store) load(ctx context.Context) error {
	for {
		select {
		case e, ok := <-s.watcher.Updates():
			if !ok {
				return fmt.Errorf("natsstore: loading %s_Q: watcher stopped", s.opt.Prefix)
			}
			if e == nil {
				return nil
			}
			s.apply(e)
		case <-ctx.Done():
			return fmt.Errorf("natsstore: loading %s_Q: %w", s.opt.Prefix, ctx.Err())
		}
	}
}

func (s *Store) apply(e jetstream.KeyValueEntry) {
	if e.Key() == liveKey(s.opt.Instance) {
		s.echoed.Store(time.Now().UnixNano())
	}
	if e.Operation() == jetstream.KeyValuePut {
		s.view.put(e.Key(), e.Revision(), e.Created(), e.Value())
		return
	}
	s.view.removed(e.Key(), e.Revision(), e.Created())
}

// watch feeds the view with every change of the bucket, this process's
// own included (the view ignores what it holds already).
func (s *Store) watch(ctx context.Context) {
	defer s.loops.Done()
	for {
		select {
		case e, ok := <-s.watcher.Updates():
			if !ok {
				if ctx.Err() == nil {
					s.log.Error("watcher stopped: this process no longer sees other instances' changes")
				}
				return
			}
			if e != nil {
				s.apply(e)
			}
		case <-ctx.Done():
			return
		}
	}
}

// tend beats this instance's heart, takes over the parts of instances
// gone, and sweeps what failed Enqueues left, until ctx ends.
func (s *Store) tend(ctx context.Context) {
	defer s.loops.Done()
	s.sweep(ctx, time.Now())
	beat := time.NewTicker(s.opt.LeaseTTL / 3)
	defer beat.Stop()
	sweep := time.NewTicker(orphanAge)
	defer sweep.Stop()
	markers := time.NewTicker(markerAge / 4)
	defer markers.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			if err := s.heartbeat(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("heartbeat not written", "err", err)
			}
			if keys, err := s.Takeover(ctx, time.Now()); err != nil && ctx.Err() == nil {
				s.log.Warn("takeover", "err", err)
			} else if len(keys) > 0 {
				s.log.Warn("parts of an instance gone taken over, in doubt", "parts", len(keys))
			}
		case now := <-sweep.C:
			s.sweep(ctx, now)
		case now := <-markers.C:
			if n, err := s.purgeMarkers(ctx, now); err != nil && ctx.Err() == nil {
				s.log.Warn("delete markers not purged", "err", err)
			} else if n > 0 {
				s.log.Debug("delete markers purged", "markers", n)
			}
		}
	}
}

func (s *Store) heartbeat(ctx context.Context) error {
	k := liveKey(s.opt.Instance)
	_, err := s.write(ctx, k, encode(liveRecord{At: time.Now().UTC()}), 0, putAny)
	return err
}

// Close stops the watcher and the heartbeat and deletes this instance's
// liveness record: a clean stop, after which the other instances take
// over at once what it held (its reports, mail, callbacks, and parts left
// submitting, in doubt). Closing twice is a no-op; the connection stays
// open.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.halt()
		ctx, cancel := context.WithTimeout(context.Background(), s.opt.Timeout)
		defer cancel()
		if derr := s.kv.Delete(ctx, liveKey(s.opt.Instance)); derr != nil {
			err = fmt.Errorf("natsstore: close: %w", derr)
		}
	})
	return err
}

// purgeMarkers takes out of the bucket the delete markers older than
// markerAge, so that they do not pile up and slow every Open: up to each
// marker's own revision only, so that a value written under its key since
// stays.
func (s *Store) purgeMarkers(ctx context.Context, now time.Time) (int, error) {
	old := map[string]uint64{}
	if err := s.read(func(v *view) error {
		for k, m := range v.markers {
			if now.Sub(m.created) > markerAge {
				old[k] = m.rev
			}
		}
		return nil
	}); err != nil {
		return 0, err
	}
	n := 0
	for k, rev := range old {
		if err := s.purgeSubject(ctx, k, rev+1); err != nil {
			return n, err
		}
		s.view.mu.Lock()
		if m, ok := s.view.markers[k]; ok && m.rev == rev {
			delete(s.view.markers, k)
		}
		s.view.mu.Unlock()
		n++
	}
	return n, nil
}

// drop deletes k, a record of a message gone; an original's chunk, which
// no view holds and no key is written again, leaves no delete marker.
func (s *Store) drop(ctx context.Context, k string) error {
	if unviewed(k) {
		return s.purgeSubject(ctx, k, 0)
	}
	return s.remove(ctx, k, 0)
}

// purgeSubject takes key's messages out of the bucket's stream, those
// before revision before when it is not 0, all when it is: no delete
// marker is left, and watchers are not told.
func (s *Store) purgeSubject(ctx context.Context, key string, before uint64) error {
	ctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
	defer cancel()
	opts := []jetstream.StreamPurgeOpt{jetstream.WithPurgeSubject("$KV." + s.opt.Prefix + "_Q." + key)}
	if before != 0 {
		opts = append(opts, jetstream.WithPurgeSequence(before))
	}
	if err := s.stream.Purge(ctx, opts...); err != nil {
		s.health.set(err)
		return fmt.Errorf("purge %s: %w", key, err)
	}
	s.health.set(nil)
	return nil
}

// listKeys lists the keys of the bucket that filter matches.
func (s *Store) listKeys(ctx context.Context, filter string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
	defer cancel()
	l, err := s.kv.ListKeysFiltered(ctx, filter)
	if err != nil {
		return nil, err
	}
	var out []string
	for k := range l.Keys() {
		out = append(out, k)
	}
	return out, nil
}

// watched are the keys the view holds: every family but the originals.
func watched() []string {
	var out []string
	for fam := range shapes {
		if fam != famOrig {
			out = append(out, fam+".>")
		}
	}
	slices.Sort(out)
	return out
}

// kill stops the store as a crash would, for good: Close does nothing
// after it.
func (s *Store) kill() { s.closeOnce.Do(s.halt) }

// halt stops the store as a crash would: no more reads or writes, its
// liveness record left to age.
func (s *Store) halt() {
	s.view.mu.Lock()
	s.view.closed = true
	s.view.mu.Unlock()
	s.stop()
	_ = s.watcher.Stop()
	s.loops.Wait()
}

// read runs fn on the view under its read lock.
func (s *Store) read(fn func(v *view) error) error {
	s.view.mu.RLock()
	defer s.view.mu.RUnlock()
	if s.view.closed {
		return store.ErrClosed
	}
	return fn(s.view)
}

// How write stores a value.
type putMode uint8

const (
	putCreate putMode = iota // only when the key has no value
	putUpdate                // only over revision rev
	putAny                   // whatever the key holds
)

// errConflict: a compare-and-swap found another revision.
var errConflict = errors.New("natsstore: changed meanwhile")

// casRecord changes the record under k by compare-and-swap: get finds
// it in the view, fn changes a copy (both under the view's read lock), and
// the copy is written at the revision read; on a conflict the record is
// read again from the server and fn decides again.
func casRecord[T any](ctx context.Context, s *Store, k string, get func(v *view) (*T, error), fn func(v *view, r *T) error) error {
	return s.retryConflicts(ctx, k, func() error {
		var r T
		var rev uint64
		err := s.read(func(v *view) error {
			cur, err := get(v)
			if err != nil {
				return err
			}
			r, rev = *cur, v.keys[k].rev
			return fn(v, &r)
		})
		if err != nil {
			return err
		}
		_, err = s.write(ctx, k, encode(&r), rev, putUpdate)
		return err
	})
}

// retryConflicts runs attempt, which reads k and writes or removes it at
// the revision it read, again while another writer came first: k is read
// from the server before each new attempt, at most maxCAS times.
func (s *Store) retryConflicts(ctx context.Context, k string, attempt func() error) error {
	for try := 0; ; try++ {
		err := attempt()
		if !errors.Is(err, errConflict) || try >= maxCAS {
			return err
		}
		pause(try)
		if err := s.refresh(ctx, k); err != nil {
			return err
		}
	}
}

// write stores val under k as mode says, within the write timeout, and
// puts it in the view at once (read-your-writes). A lost
// compare-and-swap is errConflict (store.ErrExists for putCreate); other
// failures are the store's write health.
func (s *Store) write(ctx context.Context, k string, val []byte, rev uint64, mode putMode) (uint64, error) {
	if err := s.read(func(*view) error { return nil }); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
	defer cancel()
	var err error
	var n uint64
	switch mode {
	case putCreate:
		n, err = s.kv.Create(ctx, k, val)
	case putUpdate:
		n, err = s.kv.Update(ctx, k, val, rev)
	default:
		n, err = s.kv.Put(ctx, k, val)
	}
	switch {
	case err == nil:
		s.health.set(nil)
		s.view.put(k, n, time.Now(), val)
		return n, nil
	case isConflict(err) && mode == putCreate:
		s.health.set(nil)
		return 0, store.ErrExists
	case isConflict(err):
		s.health.set(nil)
		return 0, errConflict
	}
	s.health.set(err)
	return 0, fmt.Errorf("write %s: %w", k, err)
}

// remove deletes k, only over revision rev when rev is not 0.
func (s *Store) remove(ctx context.Context, k string, rev uint64) error {
	if err := s.read(func(*view) error { return nil }); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
	defer cancel()
	var opts []jetstream.KVDeleteOpt
	if rev != 0 {
		opts = append(opts, jetstream.LastRevision(rev))
	}
	err := s.kv.Delete(ctx, k, opts...)
	switch {
	case err == nil:
		s.health.set(nil)
		s.view.forget(k)
		return nil
	case isConflict(err):
		s.health.set(nil)
		return errConflict
	}
	s.health.set(err)
	return fmt.Errorf("delete %s: %w", k, err)
}

// refresh reads k from the server into the view, after a lost
// compare-and-swap or a miss the watcher may not have caught up with.
func (s *Store) refresh(ctx context.Context, k string) error {
	ctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
	defer cancel()
	e, err := s.leader.get(ctx, k)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyDeleted):
		s.view.mu.Lock()
		if info, ok := s.view.keys[k]; ok && !info.deleted {
			s.view.keys[k] = keyInfo{rev: info.rev, deleted: true}
			s.view.set(k, nil)
		}
		s.view.mu.Unlock()
		return nil
	case err != nil:
		return fmt.Errorf("read %s: %w", k, err)
	}
	s.view.put(k, e.rev, e.created, e.val)
	return nil
}

func isConflict(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant
	}
	return errors.Is(err, jetstream.ErrKeyExists)
}

// alive reports whether instance inst may still be at work: this one, or
// one whose heartbeat arrived here within the lease. While the watcher
// lags (this instance's own heartbeat has not come back for two thirds
// of a lease) every instance counts as alive: a view behind the bucket
// must not take for dead an instance whose heartbeats it has not read
// yet. Read under the view's lock.
func (s *Store) alive(v *view, inst string) bool {
	if inst == s.opt.Instance || time.Since(time.Unix(0, s.echoed.Load())) > 2*s.opt.LeaseTTL/3 {
		return true
	}
	seen, ok := v.live[inst]
	return ok && time.Since(seen) < s.opt.LeaseTTL
}

// health is the write health /readyz shows.
type health struct {
	mu    sync.Mutex
	err   error
	since time.Time
}

func (h *health) set(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		h.err, h.since = nil, time.Time{}
		return
	}
	if h.err == nil {
		h.since = time.Now()
	}
	h.err = err
}

// WriteFailure returns a nil error while writes reach a quorum of the
// bucket's servers; otherwise the last write's error and when writes
// started to fail. The next write that works clears it.
func (s *Store) WriteFailure() (since time.Time, err error) {
	s.health.mu.Lock()
	defer s.health.mu.Unlock()
	return s.health.since, s.health.err
}

// sweep deletes the records of messages that have no message record and
// that are older than orphanAge: left by an Enqueue that failed, or a
// Purge cut short. A message's original chunks, which the view does not
// hold, go first: its recipient records are what finds them.
func (s *Store) sweep(ctx context.Context, now time.Time) {
	var orphans []string
	ids := map[string]bool{}
	_ = s.read(func(v *view) error {
		for k, info := range v.keys {
			if info.deleted || now.Sub(info.created) < orphanAge {
				continue
			}
			pk, err := parseKey(k)
			if err != nil {
				continue
			}
			switch pk.family {
			case famRcpt, famWatch:
				if v.msgs[pk.names[0]] == nil {
					orphans = append(orphans, k)
					ids[pk.names[0]] = pk.family == famRcpt
				}
			}
		}
		return nil
	})
	for id, rcpt := range ids {
		if !rcpt {
			continue
		}
		chunks, err := s.listKeys(ctx, key(famOrig, tok(id), "*"))
		if err != nil {
			s.log.Warn("orphan original not listed", "msg_id", id, "err", err)
			return
		}
		orphans = append(chunks, orphans...)
	}
	for _, k := range orphans {
		if err := s.drop(ctx, k); err != nil {
			s.log.Warn("orphan record not deleted", "key", k, "err", err)
			return
		}
	}
	if len(orphans) > 0 {
		s.log.Info("records of messages never committed deleted", "records", len(orphans))
	}
}
