package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/smsbridge/smsbridge/internal/jstest"
)

// TestStoreCopyNATS: a queue file is copied into a JetStream bucket and
// back into a new file, each side checked against the other; copying
// again copies nothing; a server without the bucket is no source.
func TestStoreCopyNATS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := opsConfigFile(t, dir, "")
	for i := range 20 {
		if out, code := runCmd(t, send, "-config", cfg, "-to", fmt.Sprintf("41512345%02d", i), "disk", fmt.Sprint(i), "full"); code != 0 {
			t.Fatalf("send: %d %s", code, out)
		}
	}
	queueFile := filepath.Join(dir, "q.db")
	sendSome(t, queueFile)
	url := jstest.Start(t)
	nats := "nats:" + url + "?replicas=1&prefix=mig"
	checked := `(?m)^checked: the same parts by state on both sides \(queued 18 submitting 0 submitted 1 delivered 1 failed 0 expired 0 cancelled 0\), 1 outbox mails and 1 parked receipts with the same ids$`

	for i, want := range []string{`(?m)^  message +20 copied, +0 there already$`, `(?m)^  message +0 copied, +20 there already$`} {
		out, code := runCmd(t, storeTool, "copy", "-from", "bbolt:"+queueFile, "-to", nats)
		if code != 0 {
			t.Fatalf("store copy to nats (%d): %d %s", i+1, code, out)
		}
		for _, re := range []string{want, checked} {
			if !regexp.MustCompile(re).MatchString(out) {
				t.Errorf("store copy to nats (%d) lacks %s:\n%s", i+1, re, out)
			}
		}
	}

	back := filepath.Join(dir, "back.db")
	out, code := runCmd(t, storeTool, "copy", "-from", nats, "-to", "bbolt:"+back)
	if code != 0 {
		t.Fatalf("store copy from nats: %d %s", code, out)
	}
	for _, re := range []string{`(?m)^  message +20 copied, +0 there already$`, checked} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("store copy from nats lacks %s:\n%s", re, out)
		}
	}
	if got, want := len(exportAll(t, back)), len(exportAll(t, queueFile)); got != want {
		t.Errorf("copied there and back: %d records, the source has %d", got, want)
	}

	out, code = runCmd(t, storeTool, "copy", "-from", "nats:"+url+"?prefix=none", "-to", "bbolt:"+filepath.Join(dir, "x.db"))
	if code != exitFailure || !regexp.MustCompile(`no queue bucket none_Q`).MatchString(out) {
		t.Errorf("store copy from a server without the bucket: %d, want 1:\n%s", code, out)
	}
}
