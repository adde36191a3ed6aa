package store

import (
	"bytes"
	"context"
	"reflect"
	"testing"
	"time"
)

func TestOutbox(t *testing.T) {
	t.Parallel()
	db, path := openTest(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	m := testMessage(NewID(), 1, 1, now)
	mustEnqueue(t, db, m)
	k := keysOf(m)[0]
	if _, err := db.Finish(ctx, k, PartFailed, "no", now); err != nil {
		t.Fatal(err)
	}
	rk := RcptKey{k.Msg, 0}
	mail := &OutMail{ID: NewID(), From: "", To: []string{"ops@example.com"}, Data: []byte("report"), Created: now}
	if err := db.QueueMail(ctx, mail, MailFor{Report: &rk}); err != nil {
		t.Fatal(err)
	}
	if un, _ := db.Unreported(10); len(un) != 0 {
		t.Errorf("queuing the report did not mark the recipient reported: %v", un)
	}
	if err := db.QueueMail(ctx, mail, MailFor{}); err == nil {
		t.Error("same mail id queued twice")
	}
	due, err := db.DueMail(now, 10)
	if err != nil || len(due) != 1 || !bytes.Equal(due[0].Data, mail.Data) || due[0].To[0] != "ops@example.com" {
		t.Fatalf("DueMail = %+v, %v", due, err)
	}
	next := now.Add(time.Minute)
	if err := db.MailRetry(ctx, mail.ID, next, "smarthost down"); err != nil {
		t.Fatal(err)
	}
	if due, _ := db.DueMail(now, 10); len(due) != 0 {
		t.Errorf("mail due again before its retry time: %+v", due)
	}
	db = reopen(t, db, path)
	if at, ok, err := db.NextMail(); err != nil || !ok || !at.Equal(next) {
		t.Errorf("NextMail = %v %v %v, want %v", at, ok, err, next)
	}
	due, _ = db.DueMail(next, 10)
	if len(due) != 1 || due[0].Attempts != 1 || due[0].Error != "smarthost down" {
		t.Fatalf("after reopen: %+v", due)
	}
	if err := db.MailSent(ctx, mail.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.NextMail(); ok {
		t.Error("outbox not empty after MailSent")
	}
	checkIndexes(t, db)
}

func TestConversationsAndOptOut(t *testing.T) {
	t.Parallel()
	db, path := openTest(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	m := testMessage(NewID(), 2, 1, now)
	m.Sender, m.Subject, m.MessageID = "ops@example.com", "Backup", "<b@example.com>"
	mustEnqueue(t, db, m)
	want := Conversation{Sender: "ops@example.com", Subject: "Backup", MessageID: "<b@example.com>", Updated: now}
	for _, r := range m.Recipients {
		c, ok, err := db.Conversation(r.Number)
		if err != nil || !ok || !reflect.DeepEqual(c, want) {
			t.Errorf("conversation with %s = %+v %v %v", r.Number, c, ok, err)
		}
	}
	bounce := testMessage(NewID(), 1, 1, now)
	bounce.Sender, bounce.Recipients[0].Number = "", "+19995550000"
	mustEnqueue(t, db, bounce)
	if _, ok, _ := db.Conversation("+19995550000"); ok {
		t.Error("mail from <> started a conversation")
	}

	number := m.Recipients[0].Number
	if err := db.OptOut(ctx, number, now); err != nil {
		t.Fatal(err)
	}
	db = reopen(t, db, path)
	if out, since, err := db.OptedOut(number); err != nil || !out || !since.Equal(now) {
		t.Errorf("OptedOut after reopen = %v %v %v", out, since, err)
	}
	if err := db.OptIn(ctx, number); err != nil {
		t.Fatal(err)
	}
	if out, _, _ := db.OptedOut(number); out {
		t.Error("still opted out after OptIn")
	}
}

func TestDelayWatch(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	m := testMessage(NewID(), 3, 1, now)
	m.Recipients[0].Notify = NotifyDelay | NotifyFailure
	m.Recipients[1].Notify = NotifyDelay
	m.Recipients[2].Notify = NotifyFailure // no delay notice asked for
	mustEnqueue(t, db, m)
	if due, _ := db.DelayDue(now, 10); len(due) != 0 {
		t.Errorf("due before its time: %v", due)
	}
	due, err := db.DelayDue(now.Add(time.Second), 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("DelayDue = %v, %v; want recipients 0 and 1", due, err)
	}
	// Recipient 0 becomes final: it leaves the watch by itself.
	if _, err := db.Finish(ctx, keysOf(m)[0], PartDelivered, "", now); err != nil {
		t.Fatal(err)
	}
	// Recipient 1's notice is queued.
	rk := RcptKey{m.ID, 1}
	if err := db.QueueMail(ctx, &OutMail{ID: NewID(), To: []string{"x@example.com"}, Created: now}, MailFor{Delay: &rk}); err != nil {
		t.Fatal(err)
	}
	if due, _ := db.DelayDue(now.Add(time.Hour), 10); len(due) != 0 {
		t.Errorf("still watched: %v", due)
	}
}

func TestOriginalKeptAndPurged(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	now := time.Now().UTC().Add(-time.Hour)
	m := testMessage(NewID(), 1, 1, now)
	m.Ret, m.Original = "FULL", []byte("Subject: x\r\n\r\nwhole mail\r\n")
	mustEnqueue(t, db, m)
	if got, err := db.Original(m.ID); err != nil || !bytes.Equal(got, m.Original) {
		t.Fatalf("Original = %q, %v", got, err)
	}
	if _, err := db.Finish(ctx, keysOf(m)[0], PartDelivered, "", now); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkReported(ctx, RcptKey{m.ID, 0}); err != nil {
		t.Fatal(err)
	}
	if n, err := db.Purge(ctx, time.Now()); err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v", n, err)
	}
	if got, _ := db.Original(m.ID); got != nil {
		t.Errorf("original left after purge: %q", got)
	}
}

func FuzzDecodeOutMail(f *testing.F) {
	f.Add(encodeOutMail(&OutMail{From: "a@b", To: []string{"c@d", "e@f"}, Data: []byte("x"), Created: time.Unix(1, 0)}))
	f.Add(encodeConv(&Conversation{Sender: "a@b", Subject: "s", MessageID: "<m@x>"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := decodeOutMail(b); err == nil {
			if again, err := decodeOutMail(encodeOutMail(&m)); err != nil || !reflect.DeepEqual(again, m) {
				t.Fatalf("mail round trip: %+v → %+v (%v)", m, again, err)
			}
		}
		if c, err := decodeConv(b); err == nil {
			if again, err := decodeConv(encodeConv(&c)); err != nil || again != c {
				t.Fatalf("conversation round trip: %+v → %+v (%v)", c, again, err)
			}
		}
	})
}
