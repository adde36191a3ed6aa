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
		if id[:8] < prev { // the time half never goes back
			t.Fatalf("%q sorts before %q", id, prev)
		}
		prev = id[:8]
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
