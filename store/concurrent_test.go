package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Fifty writers drive their own messages through the whole life cycle at
// once; every call's own result must be right, and everything must be there
// after a reopen.
func TestGroupCommitConcurrent(t *testing.T) {
	t.Parallel()
	db, path := openTest(t)
	const workers, rounds = 50, 4
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				if err := lifeCycle(db, fmt.Sprintf("W%02dR%d", w, r)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	db = reopen(t, db, path)
	for w := range workers {
		for r := range rounds {
			id := fmt.Sprintf("W%02dR%d", w, r)
			m, err := db.Message(id)
			if err != nil {
				t.Fatal(err)
			}
			for ri, rc := range m.Recipients {
				for pi, p := range rc.Parts {
					if want := wantFinal(ri, pi); p.State != want || p.TransportID != id+fmt.Sprint(ri, pi) {
						t.Fatalf("%s/%d/%d: %s %q, want %s", id, ri, pi, p.State, p.TransportID, want)
					}
				}
			}
		}
	}
	st, _ := db.Stats()
	if n := workers * rounds * 2; st[PartDelivered] != n || st[PartFailed] != n {
		t.Fatalf("Stats = %v", st)
	}
	checkIndexes(t, db)
}

func wantFinal(rcpt, part int) PartState {
	if part == 0 {
		return PartDelivered
	}
	return PartFailed
}

// lifeCycle enqueues a 2×2 message and takes every part to a final state,
// checking each answer.
func lifeCycle(db *DB, id string) error {
	ctx := context.Background()
	m := testMessage(id, 2, 2, t0)
	if err := db.Enqueue(ctx, m); err != nil {
		return err
	}
	ks := keysOf(m)
	if sk, err := db.Begin(ctx, ks, "smpp", t0); err != nil || len(sk) != 0 {
		return fmt.Errorf("%s: Begin = %v %v", id, sk, err)
	}
	for _, k := range ks {
		tid := id + fmt.Sprint(k.Rcpt, k.Part)
		if err := db.Submitted(ctx, k, tid, t0); err != nil {
			return err
		}
		if got, ok, err := db.Lookup("smpp", tid); err != nil || !ok || got != k {
			return fmt.Errorf("%s: Lookup(%s) = %v %v %v", id, tid, got, ok, err)
		}
	}
	for _, k := range ks {
		done, err := db.Finish(ctx, k, wantFinal(k.Rcpt, k.Part), "", t0)
		if err != nil || done != (k.Part == 1) {
			return fmt.Errorf("%s: Finish(%s) = %v %v", id, k, done, err)
		}
	}
	return nil
}

// However Finish calls race, each recipient is reported done exactly once.
func TestFinishRcptDoneExactlyOnce(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	const rcpts, parts, dup = 3, 8, 3
	m := testMessage("F", rcpts, parts, t0)
	mustEnqueue(t, db, m)
	var done [rcpts]atomic.Int32
	var wg sync.WaitGroup
	for range dup { // every part finished three times, concurrently
		for _, k := range keysOf(m) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, err := db.Finish(context.Background(), k, PartDelivered, "", t0)
				if err != nil {
					t.Error(err)
				}
				if d {
					done[k.Rcpt].Add(1)
				}
			}()
		}
	}
	wg.Wait()
	for r := range done {
		if n := done[r].Load(); n != 1 {
			t.Errorf("recipient %d reported done %d times", r, n)
		}
	}
	if un, _ := db.Unreported(10); len(un) != rcpts {
		t.Errorf("Unreported = %v", un)
	}
	checkIndexes(t, db)
}

// A change that fails after writing, or panics, is rolled back alone: the
// rest of its batch commits.
func TestBatchIsolatesFailures(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	boom := errors.New("boom")
	enq := func(id string) *op {
		pm, err := prepare(testMessage(id, 1, 2, t0), t0)
		if err != nil {
			t.Fatal(err)
		}
		return &op{ctx: ctx, name: "enqueue", run: func(w *wtx) error { return w.enqueue(pm) }, done: make(chan error, 1)}
	}
	mk := func(run func(w *wtx) error) *op { return &op{ctx: ctx, name: "t", run: run, done: make(chan error, 1)} }
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	late := enq("late")
	late.ctx = cancelled
	batch := []*op{
		enq("A"),
		mk(func(w *wtx) error { // writes, then fails
			if err := w.put(bktMsg, msgKey("dirty"), []byte{1}); err != nil {
				return err
			}
			return boom
		}),
		enq("A"), // fails cleanly: A exists in this very batch
		mk(func(w *wtx) error { _ = w.put(bktMsg, msgKey("panic"), []byte{1}); panic("bad op") }),
		late,
		enq("B"),
	}
	db.commit(batch)
	want := []error{nil, boom, ErrExists, nil, context.Canceled, nil}
	for i, o := range batch {
		err := <-o.done
		switch {
		case i == 3:
			if err == nil {
				t.Errorf("op %d: panic not reported", i)
			}
		case !errors.Is(err, want[i]) || (err == nil) != (want[i] == nil):
			t.Errorf("op %d: %v, want %v", i, err, want[i])
		}
	}
	for id, want := range map[string]error{"A": nil, "B": nil, "late": ErrNotFound, "dirty": ErrNotFound, "panic": ErrNotFound} {
		if _, err := db.Message(id); !errors.Is(err, want) || (err == nil) != (want == nil) {
			t.Errorf("Message(%s): %v, want %v", id, err, want)
		}
	}
	checkIndexes(t, db)
}

// Close waits for changes already sent: none is lost or left unanswered.
func TestCloseDrainsPending(t *testing.T) {
	t.Parallel()
	db, path := openTest(t)
	const n = 40
	var wg sync.WaitGroup
	var ok atomic.Int32
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.Enqueue(context.Background(), testMessage(fmt.Sprintf("C%02d", i), 1, 1, t0))
			switch {
			case err == nil:
				ok.Add(1)
			case !errors.Is(err, ErrClosed):
				t.Error(err)
			}
		}()
	}
	time.Sleep(time.Millisecond)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	db = mustOpen(t, path)
	t.Cleanup(func() { _ = db.Close() })
	st, _ := db.Stats()
	if st[PartQueued] != int(ok.Load()) {
		t.Fatalf("%d enqueues succeeded, %d parts stored", ok.Load(), st[PartQueued])
	}
}

func mustOpen(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(path, Options{Timeout: time.Second, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// When the transaction itself cannot be had or committed, every change of
// the batch gets the error and none is kept.
func TestBatchFailsTogether(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	if err := db.bolt.Close(); err != nil { // the file goes away under the committer
		t.Fatal(err)
	}
	var batch []*op
	for i := range 3 {
		pm, err := prepare(testMessage(fmt.Sprint("X", i), 1, 1, t0), t0)
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, &op{ctx: context.Background(), name: "enqueue",
			run: func(w *wtx) error { return w.enqueue(pm) }, done: make(chan error, 1)})
	}
	db.commit(batch)
	for i, o := range batch {
		if err := <-o.done; !errors.Is(err, bolt.ErrDatabaseNotOpen) {
			t.Errorf("op %d: %v", i, err)
		}
	}
}
