package store

import (
	"context"
	"errors"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// damage overwrites a stored record, as a bad disk or a bug would.
func damage(t *testing.T, db *DB, bkt, key []byte) {
	t.Helper()
	err := db.bolt.Update(func(tx *bolt.Tx) error { return tx.Bucket(bkt).Put(key, []byte{recordV1, 0xff}) })
	if err != nil {
		t.Fatal(err)
	}
}

func corruptKeys(t *testing.T, db *DB) int {
	t.Helper()
	n := 0
	_ = db.view(func(tx *bolt.Tx) error { n = tx.Bucket(bktCorrupt).Stats().KeyN; return nil })
	return n
}

func TestCorruptPartLeavesQueue(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	mustEnqueue(t, db, testMessage("A", 1, 2, t0))
	mustEnqueue(t, db, testMessage("B", 1, 1, t0.Add(time.Second)))
	bad := PartKey{"A", 0, 1}
	damage(t, db, bktPart, partKeyBytes(bad))

	if _, err := db.Message("A"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Message: %v, want ErrCorrupt", err)
	}
	if _, err := db.Finish(ctx, bad, PartFailed, "", t0); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Finish: %v, want ErrCorrupt", err)
	}
	due, err := db.Due(t0.Add(time.Hour), 10)
	if err != nil || len(due) != 2 || due[0].Key != (PartKey{"A", 0, 0}) || due[1].Key.Msg != "B" {
		t.Fatalf("Due = %+v %v", due, err)
	}
	if n := corruptKeys(t, db); n != 1 {
		t.Fatalf("%d keys in the corrupt bucket", n)
	}
	due, _ = db.Due(t0.Add(time.Hour), 10) // the bad entry is gone for good
	if len(due) != 2 {
		t.Fatalf("second Due = %+v", due)
	}
	if _, err := db.Begin(ctx, []PartKey{due[0].Key, due[1].Key}, "smpp", t0); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := db.NextDue(); ok || err != nil {
		t.Fatalf("NextDue still sees a part: %v %v", ok, err)
	}
}

func TestCorruptSubmittingPartOnRecover(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	m := testMessage("S", 1, 2, t0)
	mustEnqueue(t, db, m)
	if _, err := db.Begin(context.Background(), keysOf(m), "smpp", t0); err != nil {
		t.Fatal(err)
	}
	damage(t, db, bktPart, partKeyBytes(PartKey{"S", 0, 0}))
	got, err := db.Recover(t0)
	if err != nil || len(got) != 1 || got[0] != (PartKey{"S", 0, 1}) {
		t.Fatalf("Recover = %v %v", got, err)
	}
	if n := corruptKeys(t, db); n != 1 {
		t.Fatalf("%d keys in the corrupt bucket", n)
	}
}

func TestCorruptRecipientAndMessage(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	mustEnqueue(t, db, testMessage("R", 1, 1, t0))
	mustEnqueue(t, db, testMessage("M", 1, 1, t0))
	damage(t, db, bktRcpt, rcptKeyBytes(RcptKey{"R", 0}))
	damage(t, db, bktMsg, msgKey("M"))
	for _, id := range []string{"R", "M"} {
		if _, err := db.Message(id); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Message(%s): %v", id, err)
		}
	}
	if _, err := db.Finish(context.Background(), PartKey{"R", 0, 0}, PartFailed, "", t0); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Finish with corrupt recipient: %v", err)
	}
	if p := partOf2(t, db); p != PartQueued {
		t.Errorf("part changed by a failed Finish: %s", p)
	}
	if due, err := db.Due(t0, 10); err != nil || len(due) != 0 {
		t.Fatalf("Due = %+v %v", due, err)
	}
	if n := corruptKeys(t, db); n != 2 {
		t.Fatalf("%d keys in the corrupt bucket", n)
	}
}

// partOf2 reads part R/0/0 directly: Message cannot, its recipient is bad.
func partOf2(t *testing.T, db *DB) PartState {
	t.Helper()
	var s PartState
	err := db.view(func(tx *bolt.Tx) error {
		k := PartKey{"R", 0, 0}
		p, err := loadPart(tx, partKeyBytes(k), k)
		s = p.State
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
