package store

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/smsbridge/smsbridge/priority"
)

func classMessage(id string, c priority.Class, parts int, received time.Time) *Message {
	m := testMessage(id, 1, parts, received)
	m.Class = c
	return m
}

func dueIDs(dps []DuePart) []string {
	var out []string
	for _, dp := range dps {
		out = append(out, fmt.Sprintf("%s:%s", dp.Key, dp.Class))
	}
	return out
}

func TestDueByClassThenTime(t *testing.T) {
	t.Parallel()
	db, path := openTest(t)
	mustEnqueue(t, db, classMessage("bulk1", priority.Bulk, 2, t0))
	mustEnqueue(t, db, classMessage("norm1", priority.Normal, 1, t0.Add(time.Second)))
	mustEnqueue(t, db, classMessage("urg2", priority.Urgent, 1, t0.Add(3*time.Second)))
	mustEnqueue(t, db, classMessage("urg1", priority.Urgent, 1, t0.Add(2*time.Second)))
	mustEnqueue(t, db, classMessage("urgLater", priority.Urgent, 1, t0.Add(time.Hour)))

	now := t0.Add(time.Minute)
	due, err := db.Due(now, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := "[urg1/0/0:urgent urg2/0/0:urgent norm1/0/0:normal bulk1/0/0:bulk bulk1/0/1:bulk]"
	if got := fmt.Sprint(dueIDs(due)); got != want {
		t.Errorf("Due = %s\nwant  %s", got, want)
	}
	if due, _ := db.Due(now, 3); len(due) != 3 || due[2].Class != priority.Normal {
		t.Errorf("Due(limit 3) = %v", dueIDs(due))
	}
	bulk, err := db.DueIn(priority.Bulk, now, 10)
	if err != nil || fmt.Sprint(dueIDs(bulk)) != "[bulk1/0/0:bulk bulk1/0/1:bulk]" {
		t.Errorf("DueIn(bulk) = %v, %v", dueIDs(bulk), err)
	}
	if next, ok, err := db.NextDue(); err != nil || !ok || !next.Equal(t0) {
		t.Errorf("NextDue = %v %v %v, want %v (the bulk part is earliest)", next, ok, err, t0)
	}

	// A retry keeps its class: the urgent part goes back in the urgent lane.
	k := PartKey{"urg1", 0, 0}
	ctx := context.Background()
	if _, err := db.Begin(ctx, []PartKey{k}, "smsc", now); err != nil {
		t.Fatal(err)
	}
	if err := db.Retry(ctx, k, now.Add(time.Second), "throttled", now); err != nil {
		t.Fatal(err)
	}
	checkIndexes(t, db)
	db = reopen(t, db, path)
	due, err = db.DueIn(priority.Urgent, now.Add(2*time.Second), 10)
	if err != nil || fmt.Sprint(dueIDs(due)) != "[urg2/0/0:urgent urg1/0/0:urgent]" {
		t.Errorf("after retry DueIn(urgent) = %v, %v", dueIDs(due), err)
	}
	m, err := db.Message("urg1")
	if err != nil || m.Class != priority.Urgent {
		t.Errorf("Message(urg1).Class = %v, %v", m.Class, err)
	}
	var classes []priority.Class
	if _, err := db.Queued(10, func(q QueuedPart) { classes = append(classes, q.Class) }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(classes) != "[urgent urgent urgent normal bulk bulk]" {
		t.Errorf("Queued classes = %v", classes)
	}
}

// The old-layout file was written by the store before classes (git main
// at 55d6da5): three normal messages of two parts, one part retried to a
// later time and one submitted.
func TestOpenMigratesDueIndex(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "queue.db")
	copyFile(t, "testdata/due-v1.db", path)
	db, err := Open(path, Options{Timeout: time.Second, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	checkIndexes(t, db)
	base := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	due, err := db.Due(base.Add(3*time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	want := "[OLD0000000000001/0/1:normal OLD0000000000002/0/0:normal OLD0000000000003/0/0:normal OLD0000000000003/0/1:normal OLD0000000000001/0/0:normal]"
	if got := fmt.Sprint(dueIDs(due)); got != want {
		t.Errorf("Due = %s\nwant  %s", got, want)
	}
	if m, err := db.Message("OLD0000000000003"); err != nil || m.Class != priority.Normal || m.Subject != "old" {
		t.Errorf("old message: %+v, %v", m, err)
	}
	if err := db.view(func(txn *bolt.Tx) error {
		if txn.Bucket(bktDueV1) != nil {
			return fmt.Errorf("old due bucket still there")
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	// The queue keeps working: an old part goes through a whole life.
	ctx := context.Background()
	k := due[0].Key
	if _, err := db.Begin(ctx, []PartKey{k}, "smsc", base.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.Submitted(ctx, k, "B7", base.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	checkIndexes(t, db)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// msgBytes writes a message record field by field, as version v lays it out.
func msgBytes(v uint8, class *uint8) []byte {
	e := encoder{}
	e.u8(v)
	e.time(t0)
	e.time(time.Time{})
	e.uvar(1)
	e.str("a@b.c")
	if class != nil {
		e.u8(*class)
		e.pace(nil)
	}
	for range 4 { // subject, message id, envid, ret
		e.str("")
	}
	e.bytes(nil)
	return e.b
}

func TestDecodeMsgClass(t *testing.T) {
	t.Parallel()
	if got, err := decodeMsg(msgBytes(recordV1, nil), true); err != nil || got.Class != priority.Normal || got.Sender != "a@b.c" {
		t.Errorf("v1 record: %+v, %v", got, err)
	}
	bulk, bad := uint8(priority.Bulk), uint8(7)
	if got, err := decodeMsg(msgBytes(msgRecordV2, &bulk), true); err != nil || got.Class != priority.Bulk {
		t.Errorf("v2 record: %+v, %v", got, err)
	}
	if _, err := decodeMsg(msgBytes(msgRecordV2, &bad), true); err == nil {
		t.Error("class 7 decoded")
	}
	mr := msgRecord{Received: t0, Sender: "a@b.c", Recipients: 1, Class: priority.Urgent}
	if got, err := decodeMsg(encodeMsg(&mr), false); err != nil || got.Class != priority.Urgent {
		t.Errorf("dispatch decode: %+v, %v", got, err)
	}
}

// BenchmarkDueUrgentBehindBulk reads the next urgent part while 100,000
// bulk parts, all due earlier, wait: the class-ordered index seeks to it.
func BenchmarkDueUrgentBehindBulk(b *testing.B) {
	db, _ := openTest(b)
	for i := range 100 {
		mustEnqueue(b, db, classMessage(fmt.Sprintf("bulk%04d", i), priority.Bulk, 1000, t0))
	}
	mustEnqueue(b, db, classMessage("urgent", priority.Urgent, 1, t0.Add(time.Minute)))
	now := t0.Add(time.Hour)
	b.ResetTimer()
	for range b.N {
		due, err := db.Due(now, 1)
		if err != nil || len(due) != 1 || due[0].Class != priority.Urgent {
			b.Fatalf("Due = %v, %v", dueIDs(due), err)
		}
	}
}
