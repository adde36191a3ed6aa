package backoff

import (
	"testing"
	"time"
)

func TestDelay(t *testing.T) {
	t.Parallel()
	exact := Policy{Floor: 2 * time.Second, Ceiling: 10 * time.Minute}
	for _, c := range []struct {
		name string
		p    Policy
		n    int
		want time.Duration
	}{
		{"first failure waits the floor", exact, 1, 2 * time.Second},
		{"no failure yet counts as the first", exact, 0, 2 * time.Second},
		{"negative counts as the first", exact, -3, 2 * time.Second},
		{"second doubles", exact, 2, 4 * time.Second},
		{"fifth", exact, 5, 32 * time.Second},
		{"reaches the ceiling", exact, 10, 10 * time.Minute},
		{"stays at the ceiling", exact, 1000, 10 * time.Minute},
		{"floor above the ceiling is capped", Policy{Floor: time.Hour, Ceiling: time.Minute}, 1, time.Minute},
		{"no ceiling keeps doubling", Policy{Floor: time.Second}, 11, 1024 * time.Second},
		{"no ceiling does not overflow", Policy{Floor: time.Second}, 1 << 20, time.Second << 33},
		{"zero floor", Policy{Ceiling: time.Minute}, 5, 0},
		{"negative floor", Policy{Floor: -time.Second, Ceiling: time.Minute}, 5, 0},
	} {
		if got := c.p.Delay(c.n); got != c.want {
			t.Errorf("%s: Delay(%d) = %v, want %v", c.name, c.n, got, c.want)
		}
	}
}

// Jittered delays stay within their spread and do spread.
func TestDelayJitter(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		p      Policy
		n      int
		lo, hi time.Duration
	}{
		{"±20% of the floor", Policy{Floor: 10 * time.Second, Ceiling: time.Hour, Jitter: 0.2}, 1, 8 * time.Second, 12 * time.Second},
		{"±20% of the ceiling", Policy{Floor: 10 * time.Second, Ceiling: time.Minute, Jitter: 0.2}, 9, 48 * time.Second, 72 * time.Second},
		{"±50%", Policy{Floor: time.Second, Ceiling: time.Minute, Jitter: 0.5}, 3, 2 * time.Second, 6 * time.Second},
		{"jitter above 1 is 1", Policy{Floor: time.Second, Ceiling: time.Minute, Jitter: 7}, 1, 0, 2 * time.Second},
	} {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := c.p.Delay(c.n)
			if d < c.lo || d > c.hi {
				t.Fatalf("%s: Delay(%d) = %v, outside [%v, %v]", c.name, c.n, d, c.lo, c.hi)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Errorf("%s: %d distinct delays in 200, want a spread", c.name, len(seen))
		}
	}
}
