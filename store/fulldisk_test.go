package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/tmpfs"
)

// TestFullDiskHealth: writes fail while the disk is full and WriteFailure
// says so; once space is freed, the next commit works and clears it.
func TestFullDiskHealth(t *testing.T) {
	dir := t.TempDir()
	tmpfs.Mount(t, dir, "1m")
	path := filepath.Join(dir, "queue.db")
	db, err := Open(path, Options{Timeout: time.Second, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	mustEnqueue(t, db, testMessage("before", 2, 3, t0))
	if _, err := db.WriteFailure(); err != nil {
		t.Fatalf("WriteFailure before the disk is full: %v", err)
	}
	filler := tmpfs.Fill(t, dir)
	var i int
	for i = range 200 {
		err = db.Enqueue(ctx, testMessage(string(rune('a'+i%26))+time.Duration(i).String(), 4, 6, t0))
		if err != nil {
			break
		}
	}
	if err == nil {
		t.Fatal("200 messages stored on a full disk")
	}
	t.Logf("write %d failed: %v", i, err)
	since, werr := db.WriteFailure()
	if werr == nil || since.IsZero() {
		t.Fatalf("WriteFailure on a full disk = %v, %v", since, werr)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	mustEnqueue(t, db, testMessage("after", 1, 1, t0))
	if _, err := db.WriteFailure(); err != nil {
		t.Fatalf("WriteFailure once space is back: %v", err)
	}
	for _, id := range []string{"before", "after"} {
		if _, err := db.Message(id); err != nil {
			t.Errorf("message %s: %v", id, err)
		}
	}
}
