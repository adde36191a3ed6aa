package store

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// smallDisk mounts a tmpfs of size bytes for the test, or skips it when
// mounting is not permitted (not root, no mount namespace).
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs for a full disk (needs root): %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// fillDisk writes a file in dir until the disk is full and returns it.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return path
		}
	}
}

// TestFullDiskHealth: writes fail while the disk is full and WriteFailure
// says so; once space is freed, the next commit works and clears it.
func TestFullDiskHealth(t *testing.T) {
	dir := smallDisk(t, "1m")
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
	filler := fillDisk(t, dir)
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
