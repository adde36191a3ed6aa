package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/policy"
	"github.com/smsbridge/smsbridge/store"
)

// TestCountersInStore: the daily counters are kept in the queue file, and
// those of the old limits.json beside it are moved in once.
func TestCountersInStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	queuePath := filepath.Join(dir, "q.db")
	old := map[string]policy.DayCount{"user:ops": {Day: "2026-12-03", N: 40}, "user:cron": {Day: "2026-12-01", N: 7}}
	if err := (policy.FileStore{Path: filepath.Join(dir, "limits.json")}).Save(old); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(queuePath, store.Options{Timeout: time.Second, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	c := storeCounters{st}
	if err := c.Save(map[string]policy.DayCount{"user:cron": {Day: "2026-12-03", N: 2}}); err != nil {
		t.Fatal(err)
	}
	if err := migrateCounters(c, queuePath, quietLogger()); err != nil {
		t.Fatal(err)
	}
	want := map[string]policy.DayCount{"user:ops": {Day: "2026-12-03", N: 40}, "user:cron": {Day: "2026-12-03", N: 2}}
	got, err := c.Load()
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("after the move: %v %v, want %v", got, err, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "limits.json")); !os.IsNotExist(err) {
		t.Errorf("limits.json still there: %v", err)
	}
	if err := migrateCounters(c, queuePath, quietLogger()); err != nil {
		t.Fatalf("second start: %v", err)
	}
	st.Close()

	st, err = store.Open(queuePath, store.Options{Timeout: time.Second, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got, err := (storeCounters{st}).Load(); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("after a restart: %v %v", got, err)
	}
}
