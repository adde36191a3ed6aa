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
