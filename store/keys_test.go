package store

import (
	"bytes"
	"math"
	"testing"
	"time"
)

func TestNewID(t *testing.T) {
	t.Parallel()
	seen := make(map[string]bool)
	prev := ""
	for i := range 2000 {
		id := NewID()
		if len(id) != 16 {
			t.Fatalf("len(%q) = %d", id, len(id))
		}
		for _, c := range []byte(id) {
			if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
				t.Fatalf("%q has %q", id, c)
			}
		}
		if seen[id] {
			t.Fatalf("duplicate %q after %d", id, i)
		}
		seen[id] = true
		if id[:10] <= prev { // made in order, they sort in order
			t.Fatalf("%q sorts before %q", id, prev)
		}
		prev = id[:10]
	}
}

func TestIDClock(t *testing.T) {
	t.Parallel()
	var c monotonicIDs
	steps := []struct{ now, ms, seq uint64 }{
		{100, 100, 0},
		{100, 100, 1}, // same millisecond: the sequence counts
		{99, 100, 2},  // the wall clock stepped back: ids do not
		{101, 101, 0}, // a new millisecond starts the sequence again
		{5000, 5000, 0},
	}
	for i, s := range steps {
		if ms, seq := c.next(s.now); ms != s.ms || seq != s.seq {
			t.Errorf("step %d: next(%d) = %d, %d; want %d, %d", i, s.now, ms, seq, s.ms, s.seq)
		}
	}
	c.seq = idSeqs - 1 // a millisecond full of ids runs ahead into the next
	if ms, seq := c.next(5000); ms != 5001 || seq != 0 {
		t.Errorf("full millisecond: next = %d, %d; want 5001, 0", ms, seq)
	}
}

func TestTimeKeyOrder(t *testing.T) {
	t.Parallel()
	times := []time.Time{
		time.Unix(0, math.MinInt64).Add(-time.Hour), // clamped
		time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Unix(0, -1), time.Unix(0, 0), time.Unix(0, 1), t0,
		time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), // clamped
	}
	for i := 1; i < len(times); i++ {
		if bytes.Compare(timeKey(times[i-1]), timeKey(times[i])) > 0 {
			t.Errorf("timeKey(%v) > timeKey(%v)", times[i-1], times[i])
		}
	}
	if got := timeFromKey(timeKey(t0)); !got.Equal(t0) {
		t.Errorf("timeFromKey = %v", got)
	}
}

func TestKeysRoundTrip(t *testing.T) {
	t.Parallel()
	k := PartKey{"abc", 65535, 7}
	if got, err := parsePartKey(partKeyBytes(k)); err != nil || got != k {
		t.Fatalf("part key: %v %v", got, err)
	}
	rk := RcptKey{"x", 3}
	if got, err := parseRcptKey(rcptKeyBytes(rk)); err != nil || got != rk {
		t.Fatalf("rcpt key: %v %v", got, err)
	}
	for _, b := range [][]byte{nil, {5, 'a'}, {1, 'a', 0, 0, 0}} {
		if _, err := parsePartKey(b); err == nil {
			t.Errorf("parsePartKey(%x) accepted", b)
		}
	}
}
