package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

// TestResend: the failed and expired parts of a message that was final,
// reported and purgeable go back in the queue with the new validity; its
// recipients are reported again when those parts end; delivered and
// cancelled parts stay, and a submitted part waits under the new validity.
func TestResend(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	m := testMessage("R", 3, 2, t0)
	mustEnqueue(t, db, m)
	finish := func(k PartKey, s PartState) {
		t.Helper()
		if _, err := db.Finish(ctx, k, s, "final", t0); err != nil {
			t.Fatal(err)
		}
	}
	finish(PartKey{"R", 0, 0}, PartFailed)
	finish(PartKey{"R", 0, 1}, PartDelivered)
	finish(PartKey{"R", 1, 0}, PartExpired)
	finish(PartKey{"R", 1, 1}, PartCancelled)
	finish(PartKey{"R", 2, 0}, PartDelivered)
	sub := PartKey{"R", 2, 1}
	if _, err := db.Begin(ctx, []PartKey{sub}, "smpp", t0); err != nil {
		t.Fatal(err)
	}
	if err := db.Submitted(ctx, sub, "net-1", t0); err != nil {
		t.Fatal(err)
	}
	for r := range 2 {
		if err := db.MarkReported(ctx, RcptKey{"R", r}); err != nil {
			t.Fatal(err)
		}
	}

	now := t0.Add(72 * time.Hour) // past the old validity
	expires := now.Add(time.Hour)
	n, err := db.Resend(ctx, "R", expires, now)
	if err != nil || n != 2 {
		t.Fatalf("Resend = %d %v, want 2 parts", n, err)
	}
	due, err := db.Due(now, 10)
	if err != nil || len(due) != 2 || due[0].Key != (PartKey{"R", 0, 0}) || due[1].Key != (PartKey{"R", 1, 0}) {
		t.Fatalf("Due = %+v %v", due, err)
	}
	for _, d := range due {
		if !d.Expires.Equal(expires) || d.Part.Attempts != 0 || d.Part.Error != "" {
			t.Errorf("due part %s: expires %v, %d attempts, error %q", d.Key, d.Expires, d.Part.Attempts, d.Part.Error)
		}
	}
	if od, _ := db.Overdue(expires.Add(-time.Second), 10); len(od) != 0 {
		t.Errorf("Overdue before the new validity = %v", od)
	}
	if od, _ := db.Overdue(expires.Add(time.Second), 10); !reflect.DeepEqual(od, []PartKey{sub}) {
		t.Errorf("Overdue after the new validity = %v", od)
	}
	if n, err := db.Purge(ctx, now); n != 0 || err != nil {
		t.Fatalf("Purge of a message sent again = %d %v", n, err)
	}
	if un, _ := db.Unreported(10); len(un) != 0 {
		t.Errorf("Unreported while parts are queued again = %v", un)
	}
	checkIndexes(t, db)

	for _, d := range due {
		finish(d.Key, PartDelivered)
	}
	if un, _ := db.Unreported(10); !reflect.DeepEqual(un, []RcptKey{{"R", 0}, {"R", 1}}) {
		t.Errorf("Unreported once they end = %v, want both recipients reported again", un)
	}
	if n, err := db.Resend(ctx, "R", expires, now); n != 0 || err != nil {
		t.Errorf("second Resend = %d %v, want nothing to send", n, err)
	}
	if _, err := db.Resend(ctx, "nope", expires, now); !errors.Is(err, ErrNotFound) {
		t.Errorf("Resend of no message: %v", err)
	}
	st, _ := db.Stats()
	if st[PartDelivered] != 4 || st[PartCancelled] != 1 || st[PartSubmitted] != 1 || st[PartFailed]+st[PartExpired]+st[PartQueued] != 0 {
		t.Errorf("Stats = %v", st)
	}
	checkIndexes(t, db)
}

// TestResendPurgeable: a message that was final and reported (purgeable)
// is open again, and one whose report was not sent yet waits for it.
func TestResendPurgeable(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	for _, id := range []string{"S", "U"} {
		mustEnqueue(t, db, testMessage(id, 1, 1, t0))
		if _, err := db.Finish(ctx, PartKey{id, 0, 0}, PartFailed, "no route", t0); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.MarkReported(ctx, RcptKey{"S", 0}); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(time.Hour)
	for _, id := range []string{"S", "U"} {
		if n, err := db.Resend(ctx, id, time.Time{}, now); n != 1 || err != nil {
			t.Fatalf("Resend %s = %d %v", id, n, err)
		}
	}
	if un, _ := db.Unreported(10); len(un) != 0 {
		t.Errorf("Unreported = %v", un)
	}
	if n, err := db.Purge(ctx, now); n != 0 || err != nil {
		t.Fatalf("Purge = %d %v", n, err)
	}
	checkIndexes(t, db)
	for _, id := range []string{"S", "U"} {
		if _, err := db.Finish(ctx, PartKey{id, 0, 0}, PartDelivered, "", now); err != nil {
			t.Fatal(err)
		}
	}
	if un, _ := db.Unreported(10); !reflect.DeepEqual(un, []RcptKey{{"S", 0}, {"U", 0}}) {
		t.Errorf("Unreported = %v", un)
	}
	checkIndexes(t, db)
}
