package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// damage overwrites a stored record, as a bad disk or a bug would.
func damage(t *testing.T, db *DB, bkt, key []byte) {
	t.Helper()
	err := db.bolt.Update(func(tx *bolt.Tx) error { return tx.Bucket(bkt).Put(key, []byte{recordV1, 0xff}) })
	if err != nil {
		t.Fatal(err)
	}
}

func corruptKeys(t *testing.T, db *DB) int {
	t.Helper()
	n := 0
	_ = db.view(func(tx *bolt.Tx) error { n = tx.Bucket(bktCorrupt).Stats().KeyN; return nil })
	return n
}

func TestCorruptPartLeavesQueue(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	mustEnqueue(t, db, testMessage("A", 1, 2, t0))
	mustEnqueue(t, db, testMessage("B", 1, 1, t0.Add(time.Second)))
	bad := PartKey{"A", 0, 1}
	damage(t, db, bktPart, partKeyBytes(bad))

	if _, err := db.Message("A"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Message: %v, want ErrCorrupt", err)
	}
	if _, err := db.Finish(ctx, bad, PartFailed, "", t0); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Finish: %v, want ErrCorrupt", err)
	}
	due, err := db.Due(t0.Add(time.Hour), 10)
	if err != nil || len(due) != 2 || due[0].Key != (PartKey{"A", 0, 0}) || due[1].Key.Msg != "B" {
		t.Fatalf("Due = %+v %v", due, err)
	}
	if n := corruptKeys(t, db); n != 1 {
		t.Fatalf("%d keys in the corrupt bucket", n)
	}
	due, _ = db.Due(t0.Add(time.Hour), 10) // the bad entry is gone for good
	if len(due) != 2 {
		t.Fatalf("second Due = %+v", due)
	}
	if _, err := db.Begin(ctx, []PartKey{due[0].Key, due[1].Key}, "smpp", t0); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := db.NextDue(); ok || err != nil {
		t.Fatalf("NextDue still sees a part: %v %v", ok, err)
	}
}

func TestCorruptSubmittingPartOnRecover(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	m := testMessage("S", 1, 2, t0)
	mustEnqueue(t, db, m)
	if _, err := db.Begin(context.Background(), keysOf(m), "smpp", t0); err != nil {
		t.Fatal(err)
	}
	damage(t, db, bktPart, partKeyBytes(PartKey{"S", 0, 0}))
	got, err := db.Recover(t0)
	if err != nil || len(got) != 1 || got[0] != (PartKey{"S", 0, 1}) {
		t.Fatalf("Recover = %v %v", got, err)
	}
	if n := corruptKeys(t, db); n != 1 {
		t.Fatalf("%d keys in the corrupt bucket", n)
	}
}

func TestCorruptRecipientAndMessage(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	mustEnqueue(t, db, testMessage("R", 1, 1, t0))
	mustEnqueue(t, db, testMessage("M", 1, 1, t0))
	damage(t, db, bktRcpt, rcptKeyBytes(RcptKey{"R", 0}))
	damage(t, db, bktMsg, msgKey("M"))
	for _, id := range []string{"R", "M"} {
		if _, err := db.Message(id); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Message(%s): %v", id, err)
		}
	}
	if _, err := db.Finish(context.Background(), PartKey{"R", 0, 0}, PartFailed, "", t0); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Finish with corrupt recipient: %v", err)
	}
	if p := partOf2(t, db); p != PartQueued {
		t.Errorf("part changed by a failed Finish: %s", p)
	}
	if due, err := db.Due(t0, 10); err != nil || len(due) != 0 {
		t.Fatalf("Due = %+v %v", due, err)
	}
	if n := corruptKeys(t, db); n != 2 {
		t.Fatalf("%d keys in the corrupt bucket", n)
	}
}

// partOf2 reads part R/0/0 directly: Message cannot, its recipient is bad.
func partOf2(t *testing.T, db *DB) PartState {
	t.Helper()
	var s PartState
	err := db.view(func(tx *bolt.Tx) error {
		k := PartKey{"R", 0, 0}
		p, err := loadPart(tx, partKeyBytes(k), k)
		s = p.State
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// damagedFile builds a queue file with enough messages for branch pages,
// closes it and returns its path, page size and the root page of the
// part bucket (a branch) and of the msg bucket.
func damagedFile(t *testing.T) (path string, pageSize int, partRoot, msgRoot uint64) {
	t.Helper()
	db, path := openTest(t)
	for i := range 300 {
		mustEnqueue(t, db, testMessage(fmt.Sprintf("m%03d", i), 2, 2, t0))
	}
	err := db.view(func(tx *bolt.Tx) error {
		pageSize = tx.DB().Info().PageSize
		partRoot, msgRoot = uint64(tx.Bucket(bktPart).Root()), uint64(tx.Bucket(bktMsg).Root())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path, pageSize, partRoot, msgRoot
}

// TestDamagedFiles: every kind of damage makes Open fail with one line
// naming the file and ErrDamaged (no panic, no fault), or, where bbolt
// has a spare copy (a meta page), open with the data intact; Salvage then
// copies what can be read into a file that opens.
func TestDamagedFiles(t *testing.T) {
	t.Parallel()
	at := func(off int64, b []byte) func(*os.File, int, uint64, uint64) error {
		return func(f *os.File, _ int, _, _ uint64) error { _, err := f.WriteAt(b, off); return err }
	}
	onPage := func(which func(part, msg uint64) uint64, off int, b []byte) func(*os.File, int, uint64, uint64) error {
		return func(f *os.File, ps int, part, msg uint64) error {
			_, err := f.WriteAt(b, int64(which(part, msg))*int64(ps)+int64(off))
			return err
		}
	}
	partPage := func(part, _ uint64) uint64 { return part }
	msgPage := func(_, msg uint64) uint64 { return msg }
	u16 := func(v uint16) []byte { return binary.NativeEndian.AppendUint16(nil, v) }
	u32 := func(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }
	u64 := func(v uint64) []byte { return binary.NativeEndian.AppendUint64(nil, v) }
	random := func(n int) []byte {
		b := make([]byte, n)
		r := rand.New(rand.NewPCG(1, 2))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	truncate := func(size func(fileSize int64, ps int) int64) func(*os.File, int, uint64, uint64) error {
		return func(f *os.File, ps int, _, _ uint64) error {
			info, err := f.Stat()
			if err != nil {
				return err
			}
			return f.Truncate(size(info.Size(), ps))
		}
	}
	tests := []struct {
		name        string
		damage      func(f *os.File, pageSize int, partRoot, msgRoot uint64) error
		opens       bool // bbolt has a spare copy of what was hit
		salvageable bool
		reason      string // in the error
	}{
		{"empty file", truncate(func(int64, int) int64 { return 0 }), false, false, "empty"},
		{"half a meta page", truncate(func(int64, int) int64 { return 40 }), false, false, "meta"},
		{"truncated to half", truncate(func(s int64, _ int) int64 { return s / 2 }), false, false, "truncated"},
		{"truncated to the meta pages", truncate(func(_ int64, ps int) int64 { return 2 * int64(ps) }), false, false, "truncated"},
		{"both meta pages zeroed", func(f *os.File, ps int, _, _ uint64) error {
			_, err := f.WriteAt(make([]byte, 2*ps), 0)
			return err
		}, false, false, "no valid meta page"},
		{"first meta page's checksum", at(16+56, u64(1)), true, true, ""},
		{"both magics", func(f *os.File, ps int, _, _ uint64) error {
			if _, err := f.WriteAt(u32(1), 16); err != nil {
				return err
			}
			_, err := f.WriteAt(u32(1), int64(ps)+16)
			return err
		}, false, false, "not a bbolt file"},
		{"page id in a header", onPage(partPage, 0, u64(7777)), false, true, "header says page 7777"},
		{"page flags", onPage(partPage, 8, u16(0x4040)), false, true, "flags"},
		{"element count", onPage(msgPage, 10, u16(0xffff)), false, true, "elements do not fit"},
		{"branch child past the end", onPage(partPage, 16+8, u64(1<<40)), false, true, "outside the"},
		{"element offset", onPage(msgPage, 16+4, u32(1<<30)), false, true, "points outside the page"},
		{"overflow count", onPage(msgPage, 12, u32(1<<30)), false, true, "overflow pages"},
		{"a page of noise", onPage(msgPage, 0, random(4096)), false, true, ""},
		{"a page zeroed", onPage(partPage, 0, make([]byte, 4096)), false, true, ""},
		{"a file of noise", func(f *os.File, _ int, _, _ uint64) error {
			if err := f.Truncate(0); err != nil {
				return err
			}
			_, err := f.WriteAt(random(64<<10), 0)
			return err
		}, false, false, "no valid meta page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path, ps, partRoot, msgRoot := damagedFile(t)
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.damage(f, ps, partRoot, msgRoot); err != nil {
				t.Fatal(err)
			}
			f.Close()

			db, err := Open(path, Options{Timeout: time.Second, Logger: quietLogger()})
			if tt.opens {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				defer db.Close()
				if m, err := db.Message("m123"); err != nil || len(m.Recipients) != 2 {
					t.Errorf("message after opening: %v", err)
				}
				return
			}
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded on a damaged file")
			}
			msg := err.Error()
			if !errors.Is(err, ErrDamaged) || !strings.Contains(msg, path) || !strings.Contains(msg, tt.reason) || strings.Contains(msg, "\n") {
				t.Errorf("Open: %q; want one line naming the file, ErrDamaged and %q", msg, tt.reason)
			}
			if cerr := Check(path, time.Second); !errors.Is(cerr, ErrDamaged) {
				t.Errorf("Check: %v", cerr)
			}

			out := filepath.Join(t.TempDir(), "salvaged.db")
			rep, err := Salvage(path, out)
			if !tt.salvageable {
				if err == nil {
					t.Errorf("Salvage copied %d keys from a file without a usable meta page", rep.Keys)
				}
				return
			}
			if err != nil {
				t.Fatalf("Salvage: %v", err)
			}
			t.Logf("salvaged %d buckets, %d keys; skipped %v", rep.Buckets, rep.Keys, rep.Skipped)
			if len(rep.Skipped) == 0 || rep.Keys == 0 {
				t.Errorf("salvage report %+v: want keys copied and the damage skipped", rep)
			}
			if err := Check(out, time.Second); err != nil {
				t.Errorf("the salvaged file: %v", err)
			}
			db, err = Open(out, Options{Timeout: time.Second, Logger: quietLogger()})
			if err != nil {
				t.Fatalf("Open of the salvaged file: %v", err)
			}
			defer db.Close()
			if _, err := db.Due(t0.Add(time.Hour), 1000); err != nil {
				t.Errorf("Due on the salvaged file: %v", err)
			}
		})
	}
}
