package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestEnqueueMessageRoundTripAndReopen(t *testing.T) {
	t.Parallel()
	db, path := openTest(t)
	m := testMessage("M1", 2, 3, t0)
	mustEnqueue(t, db, m)
	if err := db.Enqueue(context.Background(), m); !errors.Is(err, ErrExists) {
		t.Fatalf("second Enqueue: %v, want ErrExists", err)
	}
	db = reopen(t, db, path)
	got, err := db.Message("M1")
	if err != nil {
		t.Fatal(err)
	}
	want := testMessage("M1", 2, 3, t0)
	for r := range want.Recipients {
		for p := range want.Recipients[r].Parts {
			wp := &want.Recipients[r].Parts[p]
			wp.State, wp.NextAttempt, wp.Updated = PartQueued, t0, t0
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after reopen\n got %+v\nwant %+v", got, want)
	}
	if _, err := db.Message("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Message(nope): %v", err)
	}
	checkIndexes(t, db)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode: %v %v", fi.Mode(), err)
	}
	di, err := os.Stat(filepath.Dir(path))
	if err != nil || di.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode: %v %v", di.Mode(), err)
	}
}

func TestEnqueueRejectsInvalid(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	long := string(make([]byte, 256))
	for name, m := range map[string]*Message{
		"no id":           testMessage("", 1, 1, t0),
		"long id":         testMessage(long, 1, 1, t0),
		"no recipients":   testMessage("A", 0, 1, t0),
		"recipient empty": testMessage("B", 1, 0, t0),
	} {
		if err := db.Enqueue(context.Background(), m); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

func TestEnqueueZeroReceivedIsNow(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	before := time.Now()
	mustEnqueue(t, db, testMessage("Z", 1, 1, time.Time{}))
	p := partOf(t, db, PartKey{"Z", 0, 0})
	if p.NextAttempt.Before(before) || p.NextAttempt.After(time.Now()) {
		t.Fatalf("NextAttempt %v not now", p.NextAttempt)
	}
}

// reach drives a fresh one-part message to state s.
func reach(t *testing.T, db *DB, id string, s PartState) PartKey {
	t.Helper()
	ctx := context.Background()
	k := PartKey{id, 0, 0}
	mustEnqueue(t, db, testMessage(id, 1, 1, t0))
	if s == PartQueued {
		return k
	}
	if _, err := db.Begin(ctx, []PartKey{k}, "smpp", t0); err != nil {
		t.Fatal(err)
	}
	if s == PartSubmitting {
		return k
	}
	if err := db.Submitted(ctx, k, "net-"+id, t0); err != nil {
		t.Fatal(err)
	}
	if s == PartSubmitted {
		return k
	}
	if _, err := db.Finish(ctx, k, s, "final", t0); err != nil {
		t.Fatal(err)
	}
	return k
}

func TestTransitions(t *testing.T) {
	t.Parallel()
	const (
		Q, Sg, Sd, D, F, E, C = PartQueued, PartSubmitting, PartSubmitted, PartDelivered, PartFailed, PartExpired, PartCancelled
	)
	type step func(db *DB, k PartKey) error
	begin := func(db *DB, k PartKey) error {
		sk, err := db.Begin(context.Background(), []PartKey{k}, "smpp", t0.Add(time.Second))
		if err == nil && len(sk) > 0 {
			return errSkipped
		}
		return err
	}
	submitted := func(db *DB, k PartKey) error {
		return db.Submitted(context.Background(), k, "x"+k.Msg, t0.Add(time.Second))
	}
	retry := func(db *DB, k PartKey) error {
		return db.Retry(context.Background(), k, t0.Add(time.Hour), "throttled", t0.Add(time.Second))
	}
	finish := func(s PartState) step {
		return func(db *DB, k PartKey) error {
			_, err := db.Finish(context.Background(), k, s, "why", t0.Add(time.Second))
			return err
		}
	}
	cases := []struct {
		from PartState
		name string
		do   step
		want PartState
		err  error
	}{
		{Q, "begin", begin, Sg, nil},
		{Sg, "begin", begin, Sg, errSkipped},
		{Sd, "begin", begin, Sd, errSkipped},
		{D, "begin", begin, D, errSkipped},
		{Q, "submitted", submitted, Q, ErrState},
		{Sg, "submitted", submitted, Sd, nil},
		{Sd, "submitted", submitted, Sd, ErrState},
		{F, "submitted", submitted, F, ErrState},
		{Q, "retry", retry, Q, nil},
		{Sg, "retry", retry, Q, nil},
		{Sd, "retry", retry, Q, nil},
		{E, "retry", retry, E, ErrState},
		{Q, "cancel", finish(C), C, nil},
		{Sg, "fail", finish(F), F, nil},
		{Sd, "deliver", finish(D), D, nil},
		{Sd, "expire", finish(E), E, nil},
		{D, "fail", finish(F), D, nil},
		{Sd, "finish queued", finish(Q), Sd, ErrInvalid},
	}
	for i, c := range cases {
		t.Run(c.from.String()+"/"+c.name, func(t *testing.T) {
			t.Parallel()
			db, _ := openTest(t)
			k := reach(t, db, "T"+string(rune('a'+i)), c.from)
			if err := c.do(db, k); !errors.Is(err, c.err) || (err == nil) != (c.err == nil) {
				t.Fatalf("error %v, want %v", err, c.err)
			}
			if got := partOf(t, db, k).State; got != c.want {
				t.Fatalf("state %s, want %s", got, c.want)
			}
			checkIndexes(t, db)
		})
	}
}

var errSkipped = errors.New("skipped")

func TestBeginSetsAttemptAndSkips(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	m := testMessage("M", 1, 2, t0)
	mustEnqueue(t, db, m)
	k0, k1 := PartKey{"M", 0, 0}, PartKey{"M", 0, 1}
	missing := PartKey{"other", 0, 0}
	skipped, err := db.Begin(ctx, []PartKey{k0, k0, missing}, "modem", t0.Add(time.Second))
	if err != nil || !reflect.DeepEqual(skipped, []PartKey{missing}) {
		t.Fatalf("Begin: %v %v", skipped, err)
	}
	p := partOf(t, db, k0)
	if p.State != PartSubmitting || p.Attempts != 1 || p.Transport != "modem" || !p.Updated.Equal(t0.Add(time.Second)) {
		t.Fatalf("after Begin: %+v", p)
	}
	due, _ := db.Due(t0.Add(time.Hour), 10)
	if len(due) != 1 || due[0].Key != k1 {
		t.Fatalf("due after Begin: %+v", due)
	}
	if _, err := db.Begin(ctx, []PartKey{k1}, "", t0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty transport: %v", err)
	}
}

func TestRetryReschedules(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	k := reach(t, db, "R", PartSubmitted)
	next := t0.Add(5 * time.Minute)
	if err := db.Retry(context.Background(), k, next, "0x58 throttled", t0); err != nil {
		t.Fatal(err)
	}
	p := partOf(t, db, k)
	if p.State != PartQueued || !p.NextAttempt.Equal(next) || p.Error != "0x58 throttled" || p.Attempts != 1 {
		t.Fatalf("after Retry: %+v", p)
	}
	if due, _ := db.Due(next.Add(-time.Nanosecond), 10); len(due) != 0 {
		t.Fatalf("due too early: %+v", due)
	}
	if due, _ := db.Due(next, 10); len(due) != 1 {
		t.Fatalf("not due at next: %+v", due)
	}
	if _, ok, _ := db.Lookup("smpp", "net-R"); ok {
		t.Fatal("transport id still indexed after Retry")
	}
}

func TestLookupAfterSubmittedGoneAfterFinal(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	k := reach(t, db, "L", PartSubmitted)
	got, ok, err := db.Lookup("smpp", "net-L")
	if err != nil || !ok || got != k {
		t.Fatalf("Lookup = %v %v %v", got, ok, err)
	}
	if _, ok, _ := db.Lookup("modem", "net-L"); ok {
		t.Fatal("id found under another transport")
	}
	done, err := db.Finish(context.Background(), k, PartDelivered, "DELIVRD", t0)
	if err != nil || !done {
		t.Fatalf("Finish = %v %v", done, err)
	}
	if _, ok, _ := db.Lookup("smpp", "net-L"); ok {
		t.Fatal("transport id still indexed after Finish")
	}
}

func TestReusedTransportIDKeepsNewest(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	a, b := PartKey{"A", 0, 0}, PartKey{"B", 0, 0}
	mustEnqueue(t, db, testMessage("A", 1, 1, t0))
	mustEnqueue(t, db, testMessage("B", 1, 1, t0))
	if _, err := db.Begin(ctx, []PartKey{a, b}, "modem", t0); err != nil {
		t.Fatal(err)
	}
	for _, k := range []PartKey{a, b} { // a modem's reference wraps: both get "17"
		if err := db.Submitted(ctx, k, "17", t0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Finish(ctx, a, PartExpired, "", t0); err != nil {
		t.Fatal(err)
	}
	if got, ok, _ := db.Lookup("modem", "17"); !ok || got != b {
		t.Fatalf("Lookup after older part finished = %v %v, want %v", got, ok, b)
	}
}

func TestRecoverReturnsSubmitting(t *testing.T) {
	t.Parallel()
	db, path := openTest(t)
	ctx := context.Background()
	m := testMessage("R", 1, 3, t0)
	mustEnqueue(t, db, m)
	ks := keysOf(m)
	if _, err := db.Begin(ctx, ks, "smpp", t0); err != nil {
		t.Fatal(err)
	}
	if err := db.Submitted(ctx, ks[2], "id2", t0); err != nil {
		t.Fatal(err)
	}
	db = reopen(t, db, path) // as after a crash between Begin and Submitted
	now := t0.Add(time.Hour)
	got, err := db.Recover(now)
	if err != nil || !reflect.DeepEqual(got, ks[:2]) {
		t.Fatalf("Recover = %v %v, want %v", got, err, ks[:2])
	}
	due, _ := db.Due(now, 10)
	if len(due) != 2 || due[0].Part.Attempts != 1 || due[0].Part.Error == "" {
		t.Fatalf("due after Recover: %+v", due)
	}
	if again, _ := db.Recover(now); len(again) != 0 {
		t.Fatalf("second Recover = %v", again)
	}
	checkIndexes(t, db)
}

func TestReportsAndPurge(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	m := testMessage("P", 2, 2, t0)
	m.Recipients[1].Reported = true // e.g. NOTIFY=NEVER: no report due
	mustEnqueue(t, db, m)
	mustEnqueue(t, db, testMessage("Q", 1, 1, t0))
	for _, k := range keysOf(m) {
		if _, err := db.Finish(ctx, k, PartFailed, "unknown subscriber", t0); err != nil {
			t.Fatal(err)
		}
	}
	un, err := db.Unreported(10)
	if err != nil || !reflect.DeepEqual(un, []RcptKey{{"P", 0}}) {
		t.Fatalf("Unreported = %v %v", un, err)
	}
	if n, err := db.Purge(ctx, t0.Add(time.Hour)); n != 0 || err != nil {
		t.Fatalf("Purge before reports = %d %v", n, err)
	}
	for range 2 { // idempotent
		if err := db.MarkReported(ctx, RcptKey{"P", 0}); err != nil {
			t.Fatal(err)
		}
	}
	if un, _ := db.Unreported(10); len(un) != 0 {
		t.Fatalf("Unreported after mark = %v", un)
	}
	if n, err := db.Purge(ctx, t0); n != 0 || err != nil {
		t.Fatalf("Purge before received = %d %v", n, err)
	}
	if n, err := db.Purge(ctx, t0.Add(time.Second)); n != 1 || err != nil {
		t.Fatalf("Purge = %d %v", n, err)
	}
	if _, err := db.Message("P"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("purged message: %v", err)
	}
	if _, err := db.Message("Q"); err != nil {
		t.Fatalf("other message: %v", err)
	}
	st, _ := db.Stats()
	if st[PartFailed] != 0 || st[PartQueued] != 1 {
		t.Fatalf("Stats after purge = %v", st)
	}
	if err := db.MarkReported(ctx, RcptKey{"P", 0}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("MarkReported on purged: %v", err)
	}
	checkIndexes(t, db)
}

func TestOverdue(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	k := reach(t, db, "O", PartSubmitted) // expires t0+48h
	reach(t, db, "N", PartQueued)
	exp := t0.Add(48 * time.Hour)
	if got, _ := db.Overdue(exp, 10); len(got) != 0 {
		t.Fatalf("Overdue at expiry = %v", got)
	}
	got, err := db.Overdue(exp.Add(time.Nanosecond), 10)
	if err != nil || !reflect.DeepEqual(got, []PartKey{k}) {
		t.Fatalf("Overdue = %v %v", got, err)
	}
	if _, err := db.Finish(context.Background(), k, PartExpired, "no receipt", exp); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Overdue(exp.Add(time.Hour), 10); len(got) != 0 {
		t.Fatalf("Overdue after Finish = %v", got)
	}
}

func TestStats(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	reach(t, db, "a", PartQueued)
	reach(t, db, "b", PartSubmitting)
	reach(t, db, "c", PartSubmitted)
	reach(t, db, "d", PartDelivered)
	mustEnqueue(t, db, testMessage("e", 2, 2, t0))
	st, err := db.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := map[PartState]int{PartQueued: 5, PartSubmitting: 1, PartSubmitted: 1, PartDelivered: 1,
		PartFailed: 0, PartExpired: 0, PartCancelled: 0}
	if !reflect.DeepEqual(st, want) {
		t.Fatalf("Stats = %v, want %v", st, want)
	}
	checkIndexes(t, db)
}

func TestClosed(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	mustEnqueue(t, db, testMessage("A", 1, 1, t0))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := db.Enqueue(context.Background(), testMessage("B", 1, 1, t0)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Enqueue after Close: %v", err)
	}
	if _, err := db.Due(t0, 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("Due after Close: %v", err)
	}
	if _, err := db.Message("A"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Message after Close: %v", err)
	}
}

func TestOpenLockedTimesOut(t *testing.T) {
	t.Parallel()
	_, path := openTest(t)
	start := time.Now()
	db2, err := Open(path, Options{Timeout: 100 * time.Millisecond, Logger: quietLogger()})
	if err == nil {
		_ = db2.Close()
		t.Fatal("second Open of a locked file succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Open took %v", d)
	}
}

func TestCancelledContext(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.Enqueue(ctx, testMessage("C", 1, 1, t0)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Enqueue with cancelled ctx: %v", err)
	}
	if _, err := db.Message("C"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("message stored despite cancelled ctx: %v", err)
	}
}
