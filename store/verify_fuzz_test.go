package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzCheckFile: the walk that guards Open and Salvage never panics or
// faults on any file, and a file it passes opens with bbolt's check clean
// or a *DamagedError.
func FuzzCheckFile(f *testing.F) {
	db, path := openTest(f)
	for i := range 20 {
		mustEnqueue(f, db, testMessage(string(rune('a'+i)), 1, 2, t0))
	}
	if err := db.Close(); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "q.db")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		err := checkFile(path)
		var dmg *DamagedError
		if err != nil && !errors.As(err, &dmg) {
			t.Fatalf("checkFile: %v, want a *DamagedError", err)
		}
		if _, err := Salvage(path, filepath.Join(dir, "copy.db")); err != nil && !errors.As(err, &dmg) {
			t.Fatalf("Salvage: %v, want a *DamagedError", err)
		}
		if err == nil {
			bdb, err := openChecked(path, time.Second)
			if err == nil {
				bdb.Close()
			} else if !errors.As(err, &dmg) {
				t.Fatalf("open after a clean walk: %v", err)
			}
		}
	})
}
