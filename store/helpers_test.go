package store

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/smsbridge/smsbridge/sms"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openTest(t testing.TB) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "q", "queue.db")
	db, err := Open(path, Options{Timeout: time.Second, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db, path
}

func reopen(t testing.TB, db *DB, path string) *DB {
	t.Helper()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := Open(path, Options{Timeout: time.Second, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db2.Close() })
	return db2
}

// testMessage builds a message with rcpts recipients of parts parts each.
func testMessage(id string, rcpts, parts int, received time.Time) *Message {
	m := &Message{ID: id, Received: received, Expires: received.Add(48 * time.Hour),
		Sender: "alice@example.com", Subject: "Hello " + id, MessageID: "<" + id + "@example.com>",
		EnvID: "env-" + id, Ret: "HDRS", Header: []byte("From: alice@example.com\r\nSubject: Hello\r\n")}
	for r := range rcpts {
		rc := Recipient{Address: fmt.Sprintf("+4179%07d@sms.example", r), Number: fmt.Sprintf("+4179%07d", r),
			ORCPT: "rfc822;x@example.com", Notify: NotifySuccess | NotifyFailure}
		for p := range parts {
			rc.Parts = append(rc.Parts, Part{Encoding: sms.UCS2, Text: fmt.Sprintf("part %d of %s", p, id),
				Payload: []byte{5, 0, 3, 7, byte(parts), byte(p + 1)}, Ref: 7, Seq: p + 1, Total: parts})
		}
		m.Recipients = append(m.Recipients, rc)
	}
	return m
}

func keysOf(m *Message) []PartKey {
	var ks []PartKey
	for r, rc := range m.Recipients {
		for p := range rc.Parts {
			ks = append(ks, PartKey{m.ID, r, p})
		}
	}
	return ks
}

func mustEnqueue(t testing.TB, db *DB, m *Message) {
	t.Helper()
	if err := db.Enqueue(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

func partOf(t testing.TB, db *DB, k PartKey) Part {
	t.Helper()
	m, err := db.Message(k.Msg)
	if err != nil {
		t.Fatal(err)
	}
	return m.Recipients[k.Rcpt].Parts[k.Part]
}

// checkIndexes verifies by a full scan that every index and counter agrees
// with the part records: the invariant every change must keep.
func checkIndexes(t testing.TB, db *DB) {
	t.Helper()
	err := db.view(func(tx *bolt.Tx) error {
		counts := map[PartState]int{}
		idx := map[string]int{}
		pending := map[RcptKey]int{}
		err := tx.Bucket(bktPart).ForEach(func(kb, v []byte) error {
			k, _ := parsePartKey(kb)
			p, err := decodePart(v)
			if err != nil {
				return err
			}
			counts[p.State]++
			if !p.State.Final() {
				pending[RcptKey{k.Msg, k.Rcpt}]++
			}
			has := func(b, key []byte) bool { return tx.Bucket(b).Get(key) != nil }
			m, err := loadMsg(tx, k.Msg, false)
			if err != nil {
				return err
			}
			if q := has(bktDue, dueKey(m.Class, p.NextAttempt, kb)); q != (p.State == PartQueued) {
				return fmt.Errorf("%s %s: due entry %v", k, p.State, q)
			}
			if s := has(bktSubmitting, kb); s != (p.State == PartSubmitting) {
				return fmt.Errorf("%s %s: submitting entry %v", k, p.State, s)
			}
			if p.State == PartSubmitted && p.TransportID != "" {
				if got := tx.Bucket(bktTID).Get(tidKey(p.Transport, p.TransportID)); !bytes.Equal(got, kb) {
					return fmt.Errorf("%s: tid entry %x", k, got)
				}
				idx["tid"]++
			}
			if p.State == PartSubmitted && p.AlsoID != "" {
				if got := tx.Bucket(bktTID).Get(tidKey(p.AlsoTransport, p.AlsoID)); !bytes.Equal(got, kb) {
					return fmt.Errorf("%s: late tid entry %x", k, got)
				}
				idx["tid"]++
			}
			idx[p.State.String()]++
			return nil
		})
		if err != nil {
			return err
		}
		for name, want := range map[string]int{string(bktDue): idx["queued"], "submitting": idx["submitting"], "tid": idx["tid"]} {
			if n := tx.Bucket([]byte(name)).Stats().KeyN; n != want {
				return fmt.Errorf("bucket %s has %d entries, want %d", name, n, want)
			}
		}
		for s := PartQueued; s <= PartCancelled; s++ {
			n, _ := decodeStat(tx.Bucket(bktStats).Get([]byte{byte(s)}))
			if n != counts[s] {
				return fmt.Errorf("stats %s = %d, scan says %d", s, n, counts[s])
			}
		}
		return tx.Bucket(bktRcpt).ForEach(func(kb, v []byte) error {
			k, _ := parseRcptKey(kb)
			r, err := decodeRcpt(v)
			if err != nil {
				return err
			}
			if r.Pending != pending[k] {
				return fmt.Errorf("recipient %s: pending %d, scan says %d", k, r.Pending, pending[k])
			}
			want := r.Pending == 0 && !r.Reported
			if got := tx.Bucket(bktUnreported).Get(kb) != nil; got != want {
				return fmt.Errorf("recipient %s: unreported entry %v", k, got)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}
