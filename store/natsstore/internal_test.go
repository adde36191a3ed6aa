package natsstore

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/smsbridge/smsbridge/store"
)

func mustOpen(t *testing.T, prefix, inst string) *Store {
	t.Helper()
	s, err := openOn(shared.js, prefix, inst, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestOriginalChunks: an original larger than a record may be is kept in
// chunks and read back whole, by another process too.
func TestOriginalChunks(t *testing.T) {
	t.Parallel()
	prefix := freshPrefix()
	s := mustOpen(t, prefix, "gw1")
	s.chunk = 1000
	m := message()
	m.Original = bytes.Repeat([]byte("0123456789abcdef"), 200) // 3.2 chunks
	if err := s.Enqueue(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	other := mustOpen(t, prefix, "gw2")
	got, err := other.Original(m.ID)
	if err != nil || !bytes.Equal(got, m.Original) {
		t.Fatalf("Original = %d bytes, %v; want the %d enqueued", len(got), err, len(m.Original))
	}
	if mr := other.view.msgs[m.ID]; mr.Original != 4 {
		t.Errorf("message record names %d chunks, want 4", mr.Original)
	}
}

// TestLookupAsksServer: a store whose view has not caught up still finds
// a network id another instance recorded, from the server.
func TestLookupAsksServer(t *testing.T) {
	t.Parallel()
	prefix := freshPrefix()
	a := mustOpen(t, prefix, "a")
	b := mustOpen(t, prefix, "b")
	if err := b.watcher.Stop(); err != nil { // b's view learns nothing more by itself
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := a.Enqueue(ctx, message()); err != nil {
		t.Fatal(err)
	}
	k := store.PartKey{Msg: "m", Part: 1}
	if _, err := a.Begin(ctx, []store.PartKey{k}, "smsc", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := a.Submitted(ctx, k, "net-7", time.Now()); err != nil {
		t.Fatal(err)
	}
	got, ok, err := b.Lookup("smsc", "net-7")
	if err != nil || !ok || got != k {
		t.Fatalf("Lookup on a lagging view = %v, %v, %v; want %v", got, ok, err, k)
	}
	if _, ok, err := b.Lookup("smsc", "net-8"); err != nil || ok {
		t.Errorf("Lookup of an id never given = %v, %v", ok, err)
	}
	if _, err := b.Finish(ctx, k, store.PartDelivered, "delivered", time.Now()); err != nil {
		t.Fatalf("Finish on the lagging view: %v", err)
	}
	if _, ok, _ := b.Lookup("smsc", "net-7"); ok {
		t.Error("the id of a part final is still found")
	}
}

// TestSweep: the records of a message whose Enqueue never wrote its
// message record, its original's chunks too, are deleted once they are
// old; a committed message's stay.
func TestSweep(t *testing.T) {
	t.Parallel()
	s := mustOpen(t, freshPrefix(), "gw1")
	ctx := context.Background()
	if err := s.Enqueue(ctx, message()); err != nil {
		t.Fatal(err)
	}
	orphan := rcptKey(store.RcptKey{Msg: "failed", Rcpt: 0})
	pm, err := s.prepare(message(), nil)
	if err != nil {
		t.Fatal(err)
	}
	chunk := origKey("failed", 0)
	for _, k := range []string{orphan, chunk} {
		if _, err := s.write(ctx, k, pm.rcpts[0].val, 0, putCreate); err != nil {
			t.Fatal(err)
		}
	}
	s.sweep(ctx, time.Now())
	if _, err := s.kv.Get(ctx, orphan); err != nil {
		t.Fatalf("a fresh orphan was swept: %v", err)
	}
	s.sweep(ctx, time.Now().Add(2*orphanAge))
	for _, k := range []string{orphan, chunk} {
		if _, err := s.kv.Get(ctx, k); !errors.Is(err, jetstream.ErrKeyNotFound) {
			t.Errorf("orphan %s after the sweep: %v, want gone", k, err)
		}
	}
	if _, err := s.Message("m"); err != nil {
		t.Errorf("the committed message after the sweep: %v", err)
	}
}

// TestRawBytes: strings that are not UTF-8 (a raw 8-bit subject, a
// network's status text) come back byte for byte, to another process too.
func TestRawBytes(t *testing.T) {
	t.Parallel()
	prefix := freshPrefix()
	s := mustOpen(t, prefix, "gw1")
	ctx := context.Background()
	m := message()
	m.Subject = "Gr\xfc\xdfe"
	if err := s.Enqueue(ctx, m); err != nil {
		t.Fatal(err)
	}
	k := store.PartKey{Msg: m.ID}
	if _, err := s.Finish(ctx, k, store.PartFailed, "stat:\xff\x00", time.Now()); err != nil {
		t.Fatal(err)
	}
	other := mustOpen(t, prefix, "gw2")
	got, err := other.Message(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != m.Subject || got.Recipients[0].Parts[0].Error != "stat:\xff\x00" || got.Recipients[0].Parts[1].Text != "y" {
		t.Errorf("read back: subject %q, status %q", got.Subject, got.Recipients[0].Parts[0].Error)
	}
}

// TestEnqueueAfterFailure: an Enqueue that failed after writing recipient
// records does not keep the same message from being enqueued again.
func TestEnqueueAfterFailure(t *testing.T) {
	t.Parallel()
	s := mustOpen(t, freshPrefix(), "gw1")
	ctx := context.Background()
	pm, err := s.prepare(message(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.write(ctx, pm.rcpts[0].key, pm.rcpts[0].val, 0, putCreate); err != nil {
		t.Fatal(err)
	}
	if err := s.Enqueue(ctx, message()); err != nil {
		t.Fatalf("Enqueue over a failed one's recipients: %v", err)
	}
	if err := s.Enqueue(ctx, message()); !errors.Is(err, store.ErrExists) {
		t.Errorf("Enqueue again: %v, want ErrExists", err)
	}
}

// TestRetriedAfterCrash: a Tell or a close of a segment set that crashed
// after it wrote its callbacks (and its message) goes through when it is
// made again, without a second callback or message.
func TestRetriedAfterCrash(t *testing.T) {
	t.Parallel()
	s := mustOpen(t, freshPrefix(), "gw1")
	ctx := context.Background()
	now := time.Now()
	calls := []store.Callback{{ID: "cb1", Owner: "smpp:esme", Data: []byte("receipt"), Created: now}}
	if err := s.EnqueueWatched(ctx, message(), store.Watch{Owner: "smpp"}); err != nil {
		t.Fatal(err)
	}
	if err := s.queueCallbacks(ctx, calls, "tell m"); err != nil { // the first half of a Tell
		t.Fatal(err)
	}
	if err := s.Tell(ctx, "m", []uint8{1}, false, calls); err != nil {
		t.Fatalf("Tell made again: %v", err)
	}
	if ws, err := s.Watches("smpp", "", 10); err != nil || len(ws) != 1 || ws[0].Told[0] != 1 {
		t.Errorf("watch after the Tell = %+v, %v", ws, err)
	}
	if err := s.QueueCallbacks(ctx, calls); !errors.Is(err, store.ErrExists) {
		t.Errorf("QueueCallbacks of the Tell's callback: %v, want ErrExists", err)
	}

	if _, err := s.PutSegment(ctx, store.Segment{Set: "set", Seq: 1, ID: "s1", Data: []byte("x"), Received: now}); err != nil {
		t.Fatal(err)
	}
	whole := message()
	whole.ID = "whole"
	closing := []store.Callback{{ID: "cb2", Owner: "smpp:esme", Created: now}}
	if err := s.queueCallbacks(ctx, closing, "close set"); err != nil {
		t.Fatal(err)
	}
	pm, err := s.prepare(whole, &store.Watch{Owner: "smpp"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.commit(ctx, pm); err != nil { // and its message: then the crash
		t.Fatal(err)
	}
	if err := s.CloseSegments(ctx, "set", whole, store.Watch{Owner: "smpp"}, closing); err != nil {
		t.Fatalf("CloseSegments made again: %v", err)
	}
	sets, err := s.StaleSegments(now.Add(time.Hour), 10)
	if err != nil || len(sets) != 1 || !sets[0].Closed {
		t.Errorf("set after the close = %+v, %v", sets, err)
	}
	if cbs, err := s.DueCallbacks("smpp:esme", now, 10); err != nil || len(cbs) != 2 {
		t.Errorf("callbacks = %+v, %v; want cb1 and cb2 once each", cbs, err)
	}
}

// TestPurgeMarkers: delete markers older than markerAge leave the bucket;
// a key written again since its marker keeps its value; a purged
// message's original leaves no marker.
func TestPurgeMarkers(t *testing.T) {
	t.Parallel()
	s := mustOpen(t, freshPrefix(), "gw1")
	ctx := context.Background()
	msgs := func() uint64 {
		t.Helper()
		info, err := s.stream.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return info.State.Msgs
	}
	for _, n := range []string{"+1", "+2"} {
		if err := s.OptOut(ctx, n, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := s.OptIn(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	// The watcher brings the markers; then +2 opts out again.
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.view.mu.RLock()
		n := len(s.view.markers)
		s.view.mu.RUnlock()
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d markers seen, want 2", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.view.mu.RLock()
	old := s.view.markers[optOutKey("+2")].rev
	s.view.mu.RUnlock()
	if err := s.OptOut(ctx, "+2", time.Now()); err != nil {
		t.Fatal(err)
	}
	before := msgs()
	if n, err := s.purgeMarkers(ctx, time.Now()); err != nil || n != 0 {
		t.Fatalf("purgeMarkers of fresh markers = %d, %v", n, err)
	}
	if n, err := s.purgeMarkers(ctx, time.Now().Add(2*markerAge)); err != nil || n != 1 {
		t.Fatalf("purgeMarkers of old markers = %d, %v; want +1's", n, err)
	}
	if got := msgs(); got != before-1 {
		t.Errorf("stream holds %d messages after the purge, want %d", got, before-1)
	}
	// A marker purged late, after its key was written again, keeps the value.
	if err := s.purgeSubject(ctx, optOutKey("+2"), old+1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.kv.Get(ctx, optOutKey("+2")); err != nil {
		t.Errorf("the opt-out written after its old marker: %v", err)
	}

	m := message()
	m.Original = []byte("the whole mail")
	if err := s.Enqueue(ctx, m); err != nil {
		t.Fatal(err)
	}
	for _, p := range []int{0, 1} {
		if _, err := s.Finish(ctx, store.PartKey{Msg: m.ID, Part: p}, store.PartDelivered, "delivered", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MarkReported(ctx, store.RcptKey{Msg: m.ID}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Purge(ctx, time.Now().Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v", n, err)
	}
	keys, err := s.listKeys(ctx, origKey(m.ID, 0))
	if err != nil || len(keys) != 0 {
		t.Errorf("the original's chunk after Purge: %v, %v", keys, err)
	}
	info, err := s.stream.Info(ctx, jetstream.WithSubjectFilter("$KV."+s.opt.Prefix+"_Q."+origKey(m.ID, 0)))
	if err != nil {
		t.Fatal(err)
	}
	if len(info.State.Subjects) != 0 {
		t.Errorf("the original's chunk left %v in the stream", info.State.Subjects)
	}
}

// TestPolicyCountersPerInstance: each instance keeps its own counters;
// PolicyCountersAll gives every instance's.
func TestPolicyCountersPerInstance(t *testing.T) {
	t.Parallel()
	prefix := freshPrefix()
	a, b := mustOpen(t, prefix, "a"), mustOpen(t, prefix, "b")
	ctx := context.Background()
	if err := a.SetPolicyCounters(ctx, []byte("A")); err != nil {
		t.Fatal(err)
	}
	if err := b.SetPolicyCounters(ctx, []byte("B")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		all, err := a.PolicyCountersAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(all) == 2 && string(all["a"]) == "A" && string(all["b"]) == "B" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PolicyCountersAll on a = %q, want a's and b's", all)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for in, want := range map[*Store]string{a: "A", b: "B"} {
		if got, err := in.PolicyCounters(); err != nil || string(got) != want {
			t.Errorf("PolicyCounters of %s = %q, %v; want %q", in.opt.Instance, got, err, want)
		}
	}
}

// TestQuotaAcrossInstances: two instances counting sends of one SIM at
// once lose none.
func TestQuotaAcrossInstances(t *testing.T) {
	t.Parallel()
	prefix := freshPrefix()
	a, b := mustOpen(t, prefix, "a"), mustOpen(t, prefix, "b")
	ctx := context.Background()
	day := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	const each = 25
	errs := make(chan error, 2*each)
	var wg sync.WaitGroup
	for _, s := range []*Store{a, b} {
		for range each {
			wg.Go(func() {
				_, _, err := s.QuotaAdd(ctx, "sim-1", day, 1)
				errs <- err
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	d, m, err := a.QuotaAdd(ctx, "sim-1", day, 0) // n = 0 reads, as the view has it
	deadline := time.Now().Add(5 * time.Second)
	for err == nil && (d != 2*each || m != 2*each) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		d, m, err = a.QuotaGet(ctx, "sim-1", day)
	}
	if err != nil || d != 2*each || m != 2*each {
		t.Errorf("counts = %d, %d, %v; want %d each", d, m, err, 2*each)
	}
}

// TestLeaderGet: a key's last value read from the leader, its revision
// the bucket's; a deleted or purged key says so; a key never written is
// not found.
func TestLeaderGet(t *testing.T) {
	t.Parallel()
	s := mustOpen(t, freshPrefix(), "gw")
	ctx := context.Background()
	rev, err := s.kv.Put(ctx, "c.x", []byte("one"))
	if err != nil {
		t.Fatal(err)
	}
	if e, err := s.leader.get(ctx, "c.x"); err != nil || string(e.val) != "one" || e.rev != rev || e.created.IsZero() {
		t.Errorf("get after put = %+v, %v; want one at revision %d", e, err, rev)
	}
	for _, op := range []func(context.Context, string, ...jetstream.KVDeleteOpt) error{s.kv.Delete, s.kv.Purge} {
		if _, err := s.kv.Put(ctx, "c.y", []byte("two")); err != nil {
			t.Fatal(err)
		}
		if err := op(ctx, "c.y"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.leader.get(ctx, "c.y"); !errors.Is(err, jetstream.ErrKeyDeleted) {
			t.Errorf("get after a delete or purge: %v, want ErrKeyDeleted", err)
		}
	}
	if _, err := s.leader.get(ctx, "c.never"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Errorf("get of a key never written: %v, want ErrKeyNotFound", err)
	}
}
