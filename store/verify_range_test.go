package store

import (
	"encoding/binary"
	"errors"
	"os"
	"testing"
	"time"
)

// TestCheckFileManyPages checks a healthy file whose trees have branch
// pages: every key lies in the range its branch keys
// give, so the check that catches keys bbolt's lookups would miss finds
// nothing here.
func TestCheckFileManyPages(t *testing.T) {
	t.Parallel()
	db, path := openTest(t)
	for i := range 800 {
		mustEnqueue(t, db, testMessage(NewID(), 2, 2, t0.Add(time.Duration(i)*time.Millisecond)))
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := checkFile(path); err != nil {
		t.Fatalf("checkFile on a healthy file: %v", err)
	}
}

func TestKeyRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		r    keyRange
		k    string
		want bool
	}{
		{keyRange{}, "a", true},
		{keyRange{lo: []byte("b")}, "a", false},
		{keyRange{lo: []byte("b")}, "b", true},
		{keyRange{hi: []byte("c")}, "c", false},
		{keyRange{hi: []byte("c")}, "bz", true},
		{keyRange{lo: []byte("b"), hi: []byte("c")}, "bb", true},
	}
	for _, tt := range tests {
		if got := tt.r.holds([]byte(tt.k)); got != tt.want {
			t.Errorf("%+v.holds(%q) = %v, want %v", tt.r, tt.k, got, tt.want)
		}
	}
}

// TestCheckFileJudgesTheMetaBboltUses: bbolt takes a meta page by its
// magic, version and checksum, whatever its page header's flags say. The
// check must walk the tree of that meta page, not fall back to the older
// one: here only the newer tree is damaged.
func TestCheckFileJudgesTheMetaBboltUses(t *testing.T) {
	t.Parallel()
	path, f, w := smallFileToDamage(t)
	ps := int64(w.meta.pageSize)
	newer := int64(0)
	if m0, err := readMeta(f, 0, w.size); err != nil || m0.txid != w.meta.txid {
		newer = ps
	}
	flags := binary.NativeEndian.AppendUint16(nil, 0xfa04)
	if _, err := f.WriteAt(flags, newer+8); err != nil {
		t.Fatal(err)
	}
	// The newer root page's header names another page.
	if _, err := f.WriteAt(binary.NativeEndian.AppendUint64(nil, 999), int64(w.meta.root)*ps); err != nil {
		t.Fatal(err)
	}
	var dmg *DamagedError
	if err := checkFile(path); !errors.As(err, &dmg) {
		t.Fatalf("checkFile = %v, want the newer tree's damage", err)
	}
}

// TestCheckFileOnePageType: a page whose flags name two page types passes
// a test of one bit, but bbolt asserts exactly one and panics.
func TestCheckFileOnePageType(t *testing.T) {
	t.Parallel()
	path, f, w := smallFileToDamage(t)
	root := int64(w.meta.root) * int64(w.meta.pageSize)
	hdr := make([]byte, 10)
	if _, err := f.ReadAt(hdr, root); err != nil {
		t.Fatal(err)
	}
	flags := binary.NativeEndian.Uint16(hdr[8:]) | 0x04 // and a meta page
	if _, err := f.WriteAt(binary.NativeEndian.AppendUint16(nil, flags), root+8); err != nil {
		t.Fatal(err)
	}
	var dmg *DamagedError
	if err := checkFile(path); !errors.As(err, &dmg) {
		t.Fatalf("checkFile = %v, want a page with two types found", err)
	}
}

// smallFileToDamage writes a queue file of one message and opens it for
// writing, with the walker's view of its meta page.
func smallFileToDamage(t *testing.T) (string, *os.File, *fileWalker) {
	t.Helper()
	db, path := openTest(t)
	mustEnqueue(t, db, testMessage("a", 1, 1, t0))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	w, err := newFileWalker(f)
	if err != nil {
		t.Fatal(err)
	}
	return path, f, w
}
