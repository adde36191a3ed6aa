package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

// TestQueueRetryFailed: `queue retry` sends a failed message again, with
// a fresh validity, once the operator fixed the cause.
func TestQueueRetryFailed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := opsConfigFile(t, dir, "")
	out, code := runCmd(t, send, "-config", cfg, "-to", "4151234567", "disk", "full")
	m := queuedID.FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("send: %d %q", code, out)
	}
	id := m[1]
	st, err := store.Open(filepath.Join(dir, "q.db"), store.Options{Timeout: time.Second, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	old := time.Now().Add(-48 * time.Hour)
	if _, err := st.Finish(ctx, store.PartKey{Msg: id}, store.PartFailed, "no credit", old); err != nil {
		t.Fatal(err)
	}
	before, err := st.Message(id)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if out, code := runCmd(t, queue, "-config", cfg, "retry", id); code != 0 || !strings.Contains(out, "1 parts due now") {
		t.Fatalf("retry of a failed message: %d %q", code, out)
	}
	if out, code := runCmd(t, queue, "-config", cfg, "show", id); code != 0 || !strings.Contains(out, "queued") {
		t.Errorf("show after retry: %d %q", code, out)
	}
	st, err = store.Open(filepath.Join(dir, "q.db"), store.Options{Timeout: time.Second, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	after, err := st.Message(id)
	if err != nil || !after.Expires.After(before.Expires) {
		t.Errorf("validity %v after the retry, %v before (%v): want a fresh one", after.Expires, before.Expires, err)
	}
}
