package main

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

// TestStoreCopy: a queue file `send` filled, with outbox mail, a parked
// receipt and parts sent, is copied into a new file that holds the same
// records; a second copy copies nothing; a file in use, an unreachable
// NATS server and bad specs are refused.
func TestStoreCopy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := opsConfigFile(t, dir, "")
	for i := range 30 {
		if out, code := runCmd(t, send, "-config", cfg, "-to", fmt.Sprintf("41512345%02d", i), "backup", "job", fmt.Sprint(i), "done"); code != 0 {
			t.Fatalf("send: %d %s", code, out)
		}
	}
	queueFile := filepath.Join(dir, "q.db")
	sendSome(t, queueFile)
	before := exportAll(t, queueFile)
	target := filepath.Join(dir, "copy", "q.db")
	from, to := "bbolt:"+queueFile, "bbolt:"+target

	out, code := runCmd(t, storeTool, "copy", "-from", from, "-to", to)
	if code != 0 {
		t.Fatalf("store copy: %d %s", code, out)
	}
	for _, want := range []string{
		`(?m)^copied bbolt:\S+ to bbolt:\S+ in \d`,
		`(?m)^  message +30 copied, +0 there already$`,
		`(?m)^  mail +1 copied, +0 there already$`,
		`(?m)^  parked receipt +1 copied, +0 there already$`,
		`(?m)^checked: the same parts by state on both sides \(queued 28 submitting 0 submitted 1 delivered 1 failed 0 expired 0 cancelled 0\), 1 outbox mails and 1 parked receipts with the same ids$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("store copy output lacks %s:\n%s", want, out)
		}
	}
	if got := exportAll(t, target); !reflect.DeepEqual(got, before) {
		t.Errorf("the copy holds %d records unlike the source's %d", len(got), len(before))
	}

	out, code = runCmd(t, storeTool, "copy", "-from", from, "-to", to)
	if code != 0 || !regexp.MustCompile(`(?m)^  message +0 copied, +30 there already$`).MatchString(out) || strings.Contains(out, " 1 copied") {
		t.Errorf("store copy again: %d, want 0 and nothing copied:\n%s", code, out)
	}
	if got := exportAll(t, target); !reflect.DeepEqual(got, before) {
		t.Errorf("after a second copy the target holds %d records, the source %d", len(got), len(before))
	}

	held, err := store.Open(queueFile, store.Options{Timeout: time.Second, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	out, code = runCmd(t, storeTool, "copy", "-from", from, "-to", "bbolt:"+filepath.Join(dir, "other.db"))
	held.Close()
	if code != exitFailure || !strings.Contains(out, "is in use") || !strings.Contains(out, queueFile) {
		t.Errorf("store copy from a file in use: %d, want 1 naming the file in use:\n%s", code, out)
	}

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"copy", "-from", from, "-to", "nats:127.0.0.1"}, exitUsage, "want nats:nats://HOST:PORT"},
		{[]string{"copy", "-from", from, "-to", "nats:nats://127.0.0.1:1?replicas=1"}, exitFailure, "connecting to nats://127.0.0.1:1"},
		{[]string{"copy", "-from", from, "-to", "nats:nats://127.0.0.1:1?replicas=9"}, exitUsage, "replicas must be 1 to 5"},
		{[]string{"copy", "-from", from}, exitUsage, "usage: smsbridge store copy"},
		{[]string{"copy", "-from", from, "-to", "bbolt:" + queueFile}, exitUsage, "are the same file"},
		{[]string{"copy", "-from", from, "-to", "sqlite:x.db"}, exitUsage, `unknown backend "sqlite"`},
		{[]string{"copy", "-from", from, "-to", target + "x"}, exitUsage, "want bbolt:PATH or nats:URL"},
		{[]string{"copy", "-from", "bbolt:" + filepath.Join(dir, "none.db"), "-to", to}, exitFailure, "none.db"},
	} {
		if out, code := runCmd(t, storeTool, c.args...); code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("store %v: %d, want %d and %q:\n%s", c.args, code, c.code, c.want, out)
		}
	}
}

// sendSome gives the queue file what `send` leaves out: a part submitted,
// one delivered, outbox mail and a receipt parked.
func sendSome(t *testing.T, path string) {
	t.Helper()
	st, err := store.Open(path, store.Options{Timeout: time.Second, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	list, _, err := st.List(store.ListQuery{Limit: 2})
	if err != nil || len(list) != 2 {
		t.Fatalf("List: %d messages, %v", len(list), err)
	}
	now := time.Now()
	for i, s := range list {
		k := store.PartKey{Msg: s.ID}
		if _, err := st.Begin(ctx, []store.PartKey{k}, "smsc", now); err != nil {
			t.Fatal(err)
		}
		if err := st.Submitted(ctx, k, fmt.Sprintf("tid-%d", i), now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.FinishReceipt(ctx, store.PartKey{Msg: list[0].ID}, store.PartDelivered, "DELIVRD", "delivered", now); err != nil {
		t.Fatal(err)
	}
	if err := st.QueueMail(ctx, &store.OutMail{ID: store.NewID(), To: []string{"alice@example.com"}, Data: []byte("Subject: report\r\n\r\n"), Created: now}, store.MailFor{}); err != nil {
		t.Fatal(err)
	}
	if err := st.ParkReceipt(ctx, store.ParkedReceipt{Transport: "smsc", ID: "early", State: 1, Parked: now}, nil); err != nil {
		t.Fatal(err)
	}
}

// exportAll reads every record of the queue file at path.
func exportAll(t *testing.T, path string) []store.Record {
	t.Helper()
	st, err := store.Open(path, store.Options{Timeout: time.Second, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out []store.Record
	if err := st.Export(context.Background(), func(r store.Record) error { out = append(out, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}
