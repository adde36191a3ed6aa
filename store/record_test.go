package store

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/smsbridge/smsbridge/campaign"
	"github.com/smsbridge/smsbridge/priority"
)

// knownBuckets is every bucket a queue file may hold.
func knownBuckets() [][]byte { return append(slices.Clone(allBuckets), bktQuota) }

// TestExportCoversEveryBucket: each bucket is either read by Export or
// named, with its reason, as rebuilt by Import or left out; a bucket
// added without either fails here.
func TestExportCoversEveryBucket(t *testing.T) {
	read := map[string]string{}
	var kinds []string
	for _, x := range exportWalks {
		kinds = append(kinds, x.kind)
		for _, b := range x.reads {
			if other, ok := read[string(b)]; ok {
				t.Errorf("bucket %s read by %s and %s", b, other, x.kind)
			}
			read[string(b)] = x.kind
		}
	}
	if !slices.Equal(kinds, RecordKinds) {
		t.Errorf("Export walks %v, RecordKinds says %v", kinds, RecordKinds)
	}
	known := map[string]bool{}
	for _, b := range knownBuckets() {
		known[string(b)] = true
		_, r := read[string(b)]
		_, n := notExported[string(b)]
		if r == n {
			t.Errorf("bucket %s: read by Export %v, left out %v; want exactly one", b, r, n)
		}
	}
	for b := range read {
		if !known[b] {
			t.Errorf("Export reads bucket %s, which no queue file has", b)
		}
	}
	for b := range notExported {
		if !known[b] {
			t.Errorf("notExported names bucket %s, which no queue file has", b)
		}
	}
	db, _ := openTest(t)
	fillAll(t, db)
	err := db.view(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			if !known[string(name)] {
				t.Errorf("the queue file has bucket %s, which the copy does not know", name)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// fillAll puts something in every bucket but the quarantine.
func fillAll(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ok := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	m := testMessage("queued", 2, 2, t0)
	m.Ret, m.Original = "FULL", []byte("the whole mail")
	m.Recipients[0].Notify |= NotifyDelay
	m.Class = priority.Urgent
	mustEnqueue(t, db, m)
	camp := testMessage("campaign", 1, 1, t0)
	camp.Campaign = &campaign.Pace{Rate: 2, Zone: "UTC"}
	mustEnqueue(t, db, camp)
	mustEnqueue(t, db, testMessage("sent", 1, 3, t0))
	_, err := db.Begin(ctx, []PartKey{{"sent", 0, 0}, {"sent", 0, 1}, {"sent", 0, 2}}, "smsc", t0)
	ok(err)
	ok(db.Submitted(ctx, PartKey{"sent", 0, 0}, "tid-1", t0))
	_, err = db.LateID(ctx, PartKey{"sent", 0, 1}, "smsc", "late-1", t0)
	ok(err)
	ok(db.Submitted(ctx, PartKey{"sent", 0, 1}, "tid-2", t0))
	mustEnqueue(t, db, testMessage("done", 1, 1, t0))
	_, err = db.Finish(ctx, PartKey{"done", 0, 0}, PartFailed, "no route", t0)
	ok(err)
	mustEnqueue(t, db, testMessage("reported", 1, 1, t0))
	_, err = db.Finish(ctx, PartKey{"reported", 0, 0}, PartDelivered, "", t0)
	ok(err)
	ok(db.MarkReported(ctx, RcptKey{"reported", 0}))
	ok(db.EnqueueWatched(ctx, testMessage("watched", 1, 1, t0), Watch{Owner: "smpp", Data: []byte("w")}))
	ok(db.QueueMail(ctx, &OutMail{ID: "mail", To: []string{"a@example.com"}, Data: []byte("x"), Created: t0}, MailFor{}))
	ok(db.ParkReceipt(ctx, ParkedReceipt{Transport: "smsc", ID: "early", State: 1, Parked: t0}, nil))
	ok(db.OptOut(ctx, "+41790000009", t0))
	ok(db.SetPolicyCounters(ctx, []byte("counters")))
	_, _, err = db.QuotaAdd(ctx, "sim", t0, 2)
	ok(err)
	_, err = db.PutSegment(ctx, Segment{Set: "set", Seq: 1, ID: "seg", Data: []byte("s"), Received: t0})
	ok(err)
	ok(db.QueueCallbacks(ctx, []Callback{{ID: "cb", Owner: "smpp", Created: t0}}))
}

// TestImportByteForByte: a queue exported and imported into an empty file
// is the same file, bucket by bucket, key by key: every index Import
// rebuilds is the one the changes had built.
func TestImportByteForByte(t *testing.T) {
	src, _ := openTest(t)
	fillAll(t, src)
	dst, _ := openTest(t)
	if _, err := Copy(context.Background(), src, dst); err != nil {
		t.Fatal(err)
	}
	checkIndexes(t, dst)
	for _, b := range knownBuckets() {
		s, d := bucketContents(t, src, b), bucketContents(t, dst, b)
		if !slices.EqualFunc(s, d, func(a, b [2][]byte) bool { return bytes.Equal(a[0], b[0]) && bytes.Equal(a[1], b[1]) }) {
			t.Errorf("bucket %s: target %q, source %q", b, d, s)
		}
	}
}

func bucketContents(t *testing.T, db *DB, name []byte) [][2][]byte {
	t.Helper()
	var out [][2][]byte
	err := db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(name)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			out = append(out, [2][]byte{bytes.Clone(k), bytes.Clone(v)})
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestImportExisting: a record whose key the DB holds is ErrExists and
// changes nothing, even when it differs.
func TestImportExisting(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	m := queuedAt(testMessage("m", 1, 1, t0))
	if err := db.Import(ctx, Record{Message: m}); err != nil {
		t.Fatal(err)
	}
	changed := queuedAt(testMessage("m", 1, 2, t0))
	changed.Recipients[0].Parts[0].State = PartDelivered
	for _, r := range []Record{
		{Message: m},
		{Message: changed},
	} {
		if err := db.Import(ctx, r); !errors.Is(err, ErrExists) {
			t.Errorf("Import again = %v, want ErrExists", err)
		}
	}
	got, err := db.Message("m")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.Recipients[0].Parts); n != 1 || got.Recipients[0].Parts[0].State != PartQueued {
		t.Errorf("message after imports again: %d parts, %v", n, got.Recipients[0].Parts[0].State)
	}
	checkIndexes(t, db)
	q := QuotaCount{SIM: "sim", Period: "20260302", Count: 4}
	if err := db.Import(ctx, Record{Quota: &q}); err != nil {
		t.Fatal(err)
	}
	q.Count = 9
	if err := db.Import(ctx, Record{Quota: &q}); !errors.Is(err, ErrExists) {
		t.Errorf("quota again = %v, want ErrExists", err)
	}
	if d, mo, err := db.QuotaGet(ctx, "sim", t0); err != nil || d != 4 || mo != 0 {
		t.Errorf("QuotaGet = %d, %d, %v; want 4 for the day and none for the month", d, mo, err)
	}
}

// queuedAt gives m's parts the state Enqueue would.
func queuedAt(m *Message) *Message {
	for i := range m.Recipients {
		for j := range m.Recipients[i].Parts {
			p := &m.Recipients[i].Parts[j]
			p.State, p.NextAttempt, p.Updated = PartQueued, m.Received, m.Received
		}
	}
	return m
}

// TestImportInvalid: records no DB can keep are refused before anything
// is written.
func TestImportInvalid(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	badState := queuedAt(testMessage("bad-state", 1, 1, t0))
	badState.Recipients[0].Parts[0].State = PartCancelled + 1
	noTime := queuedAt(testMessage("no-time", 1, 1, time.Time{}))
	delay := queuedAt(testMessage("delay", 1, 1, t0))
	for name, r := range map[string]Record{
		"nothing":            {},
		"two things":         {Message: testMessage("two", 1, 1, t0), OptOut: &OptOutEntry{Number: "+41790000001"}},
		"delay alone":        {DelayWatch: []int{0}},
		"part state":         {Message: badState},
		"received zero":      {Message: noTime},
		"delay out of range": {Message: delay, DelayWatch: []int{1}},
		"mail without to":    {Mail: &OutMail{ID: "mail"}},
		"quota period":       {Quota: &QuotaCount{SIM: "sim", Month: true, Period: "20260302"}},
		"segment digests":    {Segments: &SegmentsCopy{SegmentSet: SegmentSet{Set: "s", Segments: []Segment{{Seq: 1, ID: "x"}}}}},
		"empty counters":     {PolicyCounters: []byte{}},
	} {
		if err := db.Import(ctx, r); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Import = %v, want ErrInvalid", name, err)
		}
	}
	n := 0
	if err := db.Export(ctx, func(Record) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("after invalid imports Export gave %d records, %v", n, err)
	}
}
