package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func storeTool(args []string, o, e *bytes.Buffer) error { return storeCmd(args, o, e) }

// TestDamagedQueueFile: serve refuses a damaged queue file with one line
// on stderr and exit status 2; store check says the same; store salvage
// copies what can be read into a file that check passes and the tools use.
func TestDamagedQueueFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := opsConfigFile(t, dir, "")
	for i := range 40 {
		if out, code := runCmd(t, send, "-config", cfg, "-to", fmt.Sprintf("41512345%02d", i), "backup", "job", fmt.Sprint(i), "done"); code != 0 {
			t.Fatalf("send: %d %s", code, out)
		}
	}
	queueFile := filepath.Join(dir, "q.db")
	if out, code := runCmd(t, storeTool, "-config", cfg, "check"); code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("check of a sound file: %d %q", code, out)
	}
	damagePage(t, queueFile, "part")

	cmd := exec.Command(smsbridgeBinary(t), "serve", "-config", cfg)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("serve kept running on a damaged queue file")
	}
	out := stderr.String()
	if code := cmd.ProcessState.ExitCode(); code != exitUsage || strings.Count(strings.TrimSpace(out), "\n") != 0 ||
		!strings.Contains(out, "queue file damaged") || !strings.Contains(out, queueFile) {
		t.Errorf("serve on a damaged queue file: exit %d, want 2 and one line naming the file:\n%s", code, out)
	}
	if out, code := runCmd(t, storeTool, "-config", cfg, "check"); code != exitUsage || !strings.Contains(out, "queue file damaged") {
		t.Errorf("check of the damaged file: %d %q", code, out)
	}
	if out, code := runCmd(t, queue, "-config", cfg, "list"); code != exitUsage || !strings.Contains(out, "queue file damaged") {
		t.Errorf("queue list on the damaged file: %d %q", code, out)
	}

	copyFile := filepath.Join(dir, "salvaged.db")
	out, code := runCmd(t, storeTool, "-config", cfg, "salvage", copyFile)
	if code != 0 || !strings.Contains(out, "1 damaged parts left behind") {
		t.Fatalf("salvage: %d %q", code, out)
	}
	if out, code := runCmd(t, storeTool, "check", copyFile); code != 0 {
		t.Errorf("check of the salvaged copy: %d %q", code, out)
	}
	if err := os.Rename(copyFile, queueFile); err != nil {
		t.Fatal(err)
	}
	if out, code := runCmd(t, queue, "-config", cfg, "list"); code != 0 || !strings.Contains(out, "+14151234539") {
		t.Errorf("queue list on the salvaged copy: %d %q", code, out)
	}
	for _, args := range [][]string{{}, {"frob"}, {"check", "a", "b"}, {"salvage"}} {
		if out, code := runCmd(t, storeTool, append([]string{"-config", cfg}, args...)...); code != exitUsage {
			t.Errorf("store %v: %d %q", args, code, out)
		}
	}
}

// damagePage overwrites the page flags of the root page of bucket, as a
// bad disk would.
func damagePage(t *testing.T, path, bucket string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var root int64
	var pageSize int
	err = db.View(func(tx *bolt.Tx) error {
		root, pageSize = int64(tx.Bucket([]byte(bucket)).Root()), db.Info().PageSize
		return nil
	})
	db.Close()
	if err != nil || root == 0 {
		t.Fatalf("root of %s: %d %v", bucket, root, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(binary.NativeEndian.AppendUint16(nil, 0x4040), root*int64(pageSize)+8); err != nil {
		t.Fatal(err)
	}
}
