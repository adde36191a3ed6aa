package store

import (
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
