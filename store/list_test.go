package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

func listIDs(s []Summary) []string {
	var ids []string
	for _, m := range s {
		ids = append(ids, m.ID)
	}
	return ids
}

func TestListNewestFirstWithPaging(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	var want []string
	for i := 1; i <= 7; i++ {
		id := fmt.Sprintf("m%03d", i)
		mustEnqueue(t, db, testMessage(id, 1, 1, t0.Add(time.Duration(i)*time.Minute)))
		want = append([]string{id}, want...)
	}
	var got []string
	cursor := ""
	for page := 0; page < 10; page++ {
		s, next, err := db.List(ListQuery{Limit: 3, Before: cursor})
		if err != nil {
			t.Fatal(err)
		}
		if len(s) > 3 {
			t.Fatalf("page of %d", len(s))
		}
		got = append(got, listIDs(s)...)
		if next == "" {
			break
		}
		cursor = next
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ids %v, want %v", got, want)
	}
}

func TestListSummary(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	m := testMessage("m1", 2, 2, t0)
	mustEnqueue(t, db, m)
	ctx := context.Background()
	if _, err := db.Begin(ctx, []PartKey{{"m1", 0, 0}}, "smsc", t0); err != nil {
		t.Fatal(err)
	}
	s, _, err := db.List(ListQuery{})
	if err != nil || len(s) != 1 {
		t.Fatalf("%v %v", s, err)
	}
	got := s[0]
	if got.Sender != m.Sender || got.Subject != m.Subject || !got.Received.Equal(t0) || !got.Expires.Equal(m.Expires) {
		t.Errorf("summary %+v", got)
	}
	if got.Parts[PartQueued] != 3 || got.Parts[PartSubmitting] != 1 {
		t.Errorf("parts by state %v", got.Parts)
	}
	r0, r1 := got.Recipients[0], got.Recipients[1]
	if r0.Number != m.Recipients[0].Number || r0.State != PartQueued || r0.Parts != 2 || r1.Address != m.Recipients[1].Address {
		t.Errorf("recipients %+v", got.Recipients)
	}
}

func TestListFilters(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	mustEnqueue(t, db, testMessage("m1", 1, 1, t0))                  // queued, +41790000000
	mustEnqueue(t, db, testMessage("m2", 2, 1, t0.Add(time.Hour)))   // one delivered
	mustEnqueue(t, db, testMessage("m3", 1, 2, t0.Add(2*time.Hour))) // failed and queued
	if _, err := db.Begin(ctx, []PartKey{{"m2", 1, 0}}, "smsc", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Finish(ctx, PartKey{"m2", 1, 0}, PartDelivered, "stat:DELIVRD", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Finish(ctx, PartKey{"m3", 0, 1}, PartFailed, "bad", t0); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		q    ListQuery
		want []string
	}{
		{"all", ListQuery{}, []string{"m3", "m2", "m1"}},
		{"queued", ListQuery{State: PartQueued}, []string{"m3", "m2", "m1"}},
		{"delivered", ListQuery{State: PartDelivered}, []string{"m2"}},
		{"failed", ListQuery{State: PartFailed}, []string{"m3"}},
		{"submitted", ListQuery{State: PartSubmitted}, nil},
		{"since", ListQuery{Since: t0.Add(time.Hour)}, []string{"m3", "m2"}},
		{"to second number", ListQuery{To: "+41790000001"}, []string{"m2"}},
		{"to first number since", ListQuery{To: "+41790000000", Since: t0.Add(time.Minute)}, []string{"m3", "m2"}},
		{"before", ListQuery{Before: "m3"}, []string{"m2", "m1"}},
		{"before an id not stored", ListQuery{Before: "m4"}, []string{"m3", "m2", "m1"}},
		{"limit", ListQuery{Limit: 1}, []string{"m3"}},
	} {
		s, _, err := db.List(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if got := listIDs(s); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// Not parallel: it shrinks the scan bound for the whole package while it runs.
func TestListScanBoundGivesCursor(t *testing.T) {
	saved := listScanMax
	listScanMax = 3
	t.Cleanup(func() { listScanMax = saved })
	db, _ := openTest(t)
	for i := 1; i <= 5; i++ {
		mustEnqueue(t, db, testMessage(fmt.Sprintf("m%d", i), 1, 1, t0))
	}
	if _, err := db.Finish(context.Background(), PartKey{"m1", 0, 0}, PartFailed, "x", t0); err != nil {
		t.Fatal(err)
	}
	s, next, err := db.List(ListQuery{State: PartFailed})
	if err != nil || len(s) != 0 || next != "m3" {
		t.Fatalf("first page %v next %q err %v", listIDs(s), next, err)
	}
	s, next, err = db.List(ListQuery{State: PartFailed, Before: next})
	if err != nil || !slices.Equal(listIDs(s), []string{"m1"}) || next != "" {
		t.Fatalf("second page %v next %q err %v", listIDs(s), next, err)
	}
}

func TestCancelQueued(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	mustEnqueue(t, db, testMessage("m1", 2, 2, t0))
	if _, err := db.Begin(ctx, []PartKey{{"m1", 0, 0}}, "smsc", t0); err != nil {
		t.Fatal(err)
	}
	n, done, err := db.CancelQueued(ctx, "m1", "cancelled by operator", t0.Add(time.Minute))
	if err != nil || n != 3 || !slices.Equal(done, []RcptKey{{"m1", 1}}) {
		t.Fatalf("cancel: %d %v %v", n, done, err)
	}
	checkIndexes(t, db)
	p := partOf(t, db, PartKey{"m1", 0, 1})
	if p.State != PartCancelled || p.Error != "cancelled by operator" || !p.Updated.Equal(t0.Add(time.Minute)) {
		t.Errorf("cancelled part %+v", p)
	}
	if p := partOf(t, db, PartKey{"m1", 0, 0}); p.State != PartSubmitting {
		t.Errorf("part under way became %s", p.State)
	}
	if un, _ := db.Unreported(10); !slices.Equal(un, []RcptKey{{"m1", 1}}) {
		t.Errorf("unreported %v", un)
	}
	if n, done, err := db.CancelQueued(ctx, "m1", "again", t0); err != nil || n != 0 || done != nil {
		t.Errorf("second cancel: %d %v %v", n, done, err)
	}
	if _, _, err := db.CancelQueued(ctx, "nope", "x", t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
}

func TestRetryQueued(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	mustEnqueue(t, db, testMessage("m1", 1, 2, t0))
	k := PartKey{"m1", 0, 1}
	if _, err := db.Begin(ctx, []PartKey{k}, "smsc", t0); err != nil {
		t.Fatal(err)
	}
	if err := db.Retry(ctx, k, t0.Add(time.Hour), "throttled", t0); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(time.Minute)
	n, err := db.RetryQueued(ctx, "m1", now)
	if err != nil || n != 2 {
		t.Fatalf("retry: %d %v", n, err)
	}
	checkIndexes(t, db)
	due, err := db.Due(now, 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("due after retry: %v %v", due, err)
	}
	if _, err := db.RetryQueued(ctx, "nope", now); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
}

func TestQueuedWalk(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	mustEnqueue(t, db, testMessage("m1", 2, 1, t0))
	mustEnqueue(t, db, testMessage("m2", 1, 1, t0.Add(time.Hour)))
	k := PartKey{"m1", 1, 0}
	if _, err := db.Begin(ctx, []PartKey{k}, "smsc", t0); err != nil {
		t.Fatal(err)
	}
	if err := db.Retry(ctx, k, t0.Add(2*time.Hour), "down", t0); err != nil {
		t.Fatal(err)
	}
	var got []QueuedPart
	complete, err := db.Queued(10, func(q QueuedPart) { got = append(got, q) })
	if err != nil || !complete || len(got) != 3 {
		t.Fatalf("%v %v %v", got, complete, err)
	}
	last := got[2]
	if last.Key != k || last.Transport != "smsc" || last.Number != "+41790000001" || !last.Received.Equal(t0) || last.Attempts != 1 {
		t.Errorf("retried part %+v", last)
	}
	if got[1].Key.Msg != "m2" || !got[1].Received.Equal(t0.Add(time.Hour)) {
		t.Errorf("second %+v", got[1])
	}
	complete, err = db.Queued(2, func(QueuedPart) {})
	if err != nil || complete {
		t.Errorf("limited walk complete=%v err=%v", complete, err)
	}
}

func TestRecipientState(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   []PartState
		want PartState
	}{
		{nil, 0},
		{[]PartState{PartDelivered, PartDelivered}, PartDelivered},
		{[]PartState{PartDelivered, PartSubmitted, PartQueued}, PartQueued},
		{[]PartState{PartSubmitted, PartSubmitting}, PartSubmitting},
		{[]PartState{PartFailed, PartSubmitted}, PartSubmitted},
		{[]PartState{PartDelivered, PartExpired, PartCancelled}, PartExpired},
		{[]PartState{PartCancelled, PartFailed}, PartFailed},
	} {
		parts := make([]Part, len(tc.in))
		for i, s := range tc.in {
			parts[i].State = s
		}
		if got := RecipientState(parts); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestParsePartState(t *testing.T) {
	t.Parallel()
	for s := PartQueued; s <= PartCancelled; s++ {
		if got, err := ParsePartState(s.String()); err != nil || got != s {
			t.Errorf("%s: %v %v", s, got, err)
		}
	}
	if _, err := ParsePartState("sent"); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown state: %v", err)
	}
}
