package store

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"
)

// TestCompactAfterPurge: a file that held a large backlog shrinks at the
// next Open once the backlog is purged. Not parallel: it lowers the
// threshold for the whole package.
func TestCompactAfterPurge(t *testing.T) {
	defer func(v int64) { compactMinSize = v }(compactMinSize)
	compactMinSize = 2 << 20
	db, path := openTest(t)
	ctx := context.Background()
	now := time.Now().UTC().Add(-time.Hour)
	big := bytes.Repeat([]byte("x"), 64<<10)
	var keep *Message
	for i := range 80 {
		m := testMessage(NewID(), 1, 1, now)
		m.Ret, m.Original = "FULL", big
		mustEnqueue(t, db, m)
		if i == 79 {
			keep = m // one message stays queued
			continue
		}
		if _, err := db.Finish(ctx, keysOf(m)[0], PartDelivered, "", now); err != nil {
			t.Fatal(err)
		}
		if err := db.MarkReported(ctx, RcptKey{m.ID, 0}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := db.Purge(ctx, time.Now()); err != nil || n != 79 {
		t.Fatalf("Purge = %d, %v", n, err)
	}
	before, _ := os.Stat(path)
	db = reopen(t, db, path)
	after, _ := os.Stat(path)
	t.Logf("file %d bytes before, %d after compaction", before.Size(), after.Size())
	if after.Size()*2 > before.Size() {
		t.Errorf("file not compacted: %d → %d bytes", before.Size(), after.Size())
	}
	if got, err := db.Original(keep.ID); err != nil || !bytes.Equal(got, big) {
		t.Errorf("the queued message lost its original: %d bytes, %v", len(got), err)
	}
	if due, err := db.Due(now, 10); err != nil || len(due) != 1 {
		t.Errorf("Due after compaction = %v, %v", due, err)
	}
	checkIndexes(t, db)
}
