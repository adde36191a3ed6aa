package store

import (
	"context"
	"reflect"
	"testing"
	"time"
)

func TestCodecInDoubtFields(t *testing.T) {
	t.Parallel()
	p := samplePart()
	if b := encodePart(&p); b[0] != recordV1 {
		t.Fatalf("a part without in-doubt fields is written as version %d, want %d", b[0], recordV1)
	}
	p.InDoubt, p.AlsoTransport, p.AlsoID = 2, "smpp", "0A1C"
	got, err := decodePart(encodePart(&p))
	if err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("round trip: %+v %v", got, err)
	}
}

// beginOne records an attempt of k on "smpp".
func beginOne(t *testing.T, db *DB, k PartKey) {
	t.Helper()
	if skipped, err := db.Begin(context.Background(), []PartKey{k}, "smpp", t0); err != nil || len(skipped) > 0 {
		t.Fatalf("begin %s: %v %v", k, skipped, err)
	}
}

func TestRetryInDoubtAndRecoverCount(t *testing.T) {
	t.Parallel()
	db, path := openTest(t)
	ctx := context.Background()
	m := testMessage("M", 1, 1, t0)
	mustEnqueue(t, db, m)
	k := PartKey{"M", 0, 0}
	beginOne(t, db, k)
	if err := db.RetryInDoubt(ctx, k, t0, "no answer", t0); err != nil {
		t.Fatal(err)
	}
	if p := partOf(t, db, k); p.InDoubt != 1 || p.State != PartQueued {
		t.Fatalf("after RetryInDoubt: %+v", p)
	}
	beginOne(t, db, k)
	db = reopen(t, db, path) // a crash between Begin and Submitted
	if _, err := db.Recover(t0); err != nil {
		t.Fatal(err)
	}
	if p := partOf(t, db, k); p.InDoubt != 2 || p.State != PartQueued {
		t.Fatalf("after Recover: %+v, want two sends in doubt", p)
	}
	checkIndexes(t, db)
}

func TestLateID(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	m := testMessage("M", 1, 3, t0)
	mustEnqueue(t, db, m)
	for i := range 3 {
		k := PartKey{"M", 0, i}
		beginOne(t, db, k)
		if err := db.RetryInDoubt(ctx, k, t0, "no answer", t0); err != nil {
			t.Fatal(err)
		}
	}
	late := func(k PartKey, id string, want LateOutcome) {
		t.Helper()
		got, err := db.LateID(ctx, k, "smpp", id, t0)
		if err != nil || got != want {
			t.Fatalf("LateID(%s, %s) = %v %v, want %v", k, id, got, err, want)
		}
		checkIndexes(t, db)
	}
	lookup := func(id string, want PartKey) {
		t.Helper()
		if got, ok, err := db.Lookup("smpp", id); err != nil || !ok || got != want {
			t.Fatalf("Lookup(%s) = %v %v %v, want %v", id, got, ok, err, want)
		}
	}

	// Waiting to be sent again: the late answer is the submission.
	k0 := PartKey{"M", 0, 0}
	late(k0, "L0", LateSubmitted)
	if p := partOf(t, db, k0); p.State != PartSubmitted || p.TransportID != "L0" || p.MaybeTwice() {
		t.Fatalf("queued part after a late id: %+v", p)
	}
	lookup("L0", k0)

	// Sent again and accepted: two ids, both matched.
	k1 := PartKey{"M", 0, 1}
	beginOne(t, db, k1)
	if err := db.Submitted(ctx, k1, "N1", t0); err != nil {
		t.Fatal(err)
	}
	late(k1, "L1", LateDuplicate)
	lookup("N1", k1)
	lookup("L1", k1)
	if p := partOf(t, db, k1); !p.MaybeTwice() {
		t.Fatalf("part with two ids: %+v, want MaybeTwice", p)
	}
	late(k1, "L1", LateKept) // the same answer twice changes nothing

	// Being sent again: the late id waits for the resend's.
	k2 := PartKey{"M", 0, 2}
	beginOne(t, db, k2)
	late(k2, "L2", LateDuplicate)
	if err := db.Submitted(ctx, k2, "N2", t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	checkIndexes(t, db)
	lookup("L2", k2)
	lookup("N2", k2)

	// Final: both ids leave the index.
	if _, err := db.Finish(ctx, k1, PartDelivered, "stat:DELIVRD", t0); err != nil {
		t.Fatal(err)
	}
	checkIndexes(t, db)
	if _, ok, _ := db.Lookup("smpp", "L1"); ok {
		t.Error("late id still indexed after the part is final")
	}
}
