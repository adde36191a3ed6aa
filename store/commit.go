package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Group commit limits: one transaction takes at most this many changes or
// about this many bytes of records, whichever comes first.
const (
	maxBatchOps   = 1000
	maxBatchBytes = 4 << 20
)

// op is one change waiting for the committer. run must leave its results in
// variables the caller reads only after done yields: run may be executed
// more than once (when another change of its batch forces a retry), so it
// assigns its outputs afresh each time.
type op struct {
	ctx  context.Context
	name string
	size int // rough bytes written, for the batch cap
	run  func(w *wtx) error
	done chan error // buffered: the committer never blocks on it
}

// do sends a change to the committer and waits for its result.
//
// If ctx ends first, do returns ctx.Err() at once, but the change may still
// be committed: it was possibly already part of a transaction under way.
// Changes whose ctx has ended before their batch starts are dropped.
func (db *DB) do(ctx context.Context, name string, size int, run func(w *wtx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o := &op{ctx: ctx, name: name, size: size, run: run, done: make(chan error, 1)}
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return ErrClosed
	}
	select {
	case db.ops <- o:
	case <-ctx.Done():
		db.mu.RUnlock()
		return ctx.Err()
	}
	db.mu.RUnlock()
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// committer is the only writer. While one fsync runs, new changes queue up
// in db.ops, so the next batch grows with the load by itself.
func (db *DB) committer() {
	defer close(db.done)
	batch := make([]*op, 0, maxBatchOps)
	for {
		select {
		case o := <-db.ops:
			batch = db.gather(append(batch[:0], o))
			db.commit(batch)
			clear(batch) // let answered ops be collected
		case <-db.quit:
			// No sender is left (Close set closed under the lock first):
			// commit what is queued, then stop.
			for len(db.ops) > 0 {
				batch = db.gather(append(batch[:0], <-db.ops))
				db.commit(batch)
			}
			return
		}
	}
}

// gather adds changes already waiting, up to the batch caps.
func (db *DB) gather(batch []*op) []*op {
	size := batch[0].size
	for len(batch) < maxBatchOps && size < maxBatchBytes {
		select {
		case o := <-db.ops:
			batch = append(batch, o)
			size += o.size
		default:
			return batch
		}
	}
	return batch
}

// commit runs a batch in one transaction and answers every change. A change
// that fails after writing (or panics) poisons the transaction: it is rolled
// back, that change gets its error, and the rest run again without it, so no
// change ever keeps another's partial writes.
func (db *DB) commit(batch []*op) {
	live := batch[:0:0]
	for _, o := range batch {
		if err := o.ctx.Err(); err != nil {
			o.done <- err
			continue
		}
		live = append(live, o)
	}
	for len(live) > 0 {
		bad, err := db.try(live)
		if bad < 0 {
			return
		}
		live[bad].done <- err
		live = slices.Delete(live, bad, bad+1)
	}
}

// try runs ops in one transaction. It returns the index of a change that
// spoiled the transaction (and its error) so the caller retries without it,
// or -1 once every change has been answered.
func (db *DB) try(ops []*op) (int, error) {
	tx, err := db.bolt.Begin(true)
	if err != nil {
		db.failAll(ops, err)
		return -1, nil
	}
	w := &wtx{tx: tx, log: db.log}
	results := make([]error, len(ops))
	for i, o := range ops {
		results[i] = w.apply(o)
		if w.wrote && results[i] != nil {
			_ = tx.Rollback()
			db.log.Warn("change rolled back; retrying its batch without it", "op", o.name, "err", results[i])
			return i, results[i]
		}
	}
	if err := w.flushStats(); err != nil {
		_ = tx.Rollback()
		db.failAll(ops, err)
		return -1, nil
	}
	if err := tx.Commit(); err != nil {
		db.failAll(ops, err)
		return -1, nil
	}
	db.health.set(nil)
	for i, o := range ops {
		o.done <- results[i]
	}
	return -1, nil
}

func (db *DB) failAll(ops []*op, err error) {
	db.health.set(err)
	db.log.Error("commit failed", "ops", len(ops), "err", err)
	for _, o := range ops {
		o.done <- fmt.Errorf("store: %s: commit: %w", o.name, err)
	}
}

// wtx is the write transaction as the changes see it. It remembers whether
// the running change has written, and the part counts per state to add.
type wtx struct {
	tx    *bolt.Tx
	log   *slog.Logger
	wrote bool
	stats [PartCancelled + 1]int64
}

// apply runs one change; a panic becomes an error that spoils the batch.
func (w *wtx) apply(o *op) (err error) {
	w.wrote = false
	saved := w.stats
	defer func() {
		if r := recover(); r != nil {
			w.wrote = true
			err = fmt.Errorf("store: %s: panic: %v", o.name, r)
		}
		if err != nil {
			w.stats = saved
		}
	}()
	return o.run(w)
}

func (w *wtx) get(bkt, k []byte) []byte { return w.tx.Bucket(bkt).Get(k) }

// put stores v under k; both must stay untouched until the commit (bbolt
// keeps the slices).
func (w *wtx) put(bkt, k, v []byte) error {
	w.wrote = true
	if err := w.tx.Bucket(bkt).Put(k, v); err != nil {
		return fmt.Errorf("put %s: %w", bkt, err)
	}
	return nil
}

func (w *wtx) del(bkt, k []byte) error {
	w.wrote = true
	if err := w.tx.Bucket(bkt).Delete(k); err != nil {
		return fmt.Errorf("delete %s: %w", bkt, err)
	}
	return nil
}

func (w *wtx) count(s PartState, delta int64) { w.stats[s] += delta }

func (w *wtx) flushStats() error {
	b := w.tx.Bucket(bktStats)
	for s := PartQueued; s <= PartCancelled; s++ {
		if w.stats[s] == 0 {
			continue
		}
		n, _ := decodeStat(b.Get([]byte{byte(s)})) // a damaged count restarts from 0
		n = max(n+int(w.stats[s]), 0)
		if err := b.Put([]byte{byte(s)}, binary.BigEndian.AppendUint64(nil, uint64(n))); err != nil {
			return fmt.Errorf("stats: %w", err)
		}
	}
	return nil
}
