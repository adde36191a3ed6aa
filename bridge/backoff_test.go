package bridge

import (
	"testing"
	"time"
)

// The dispatcher's and the outbox's retry delays: doubling from the floor
// (the default one when none is set), capped, within ±20%.
func TestBackoff(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		attempts       int
		floor, ceiling time.Duration
		want           time.Duration
	}{
		{1, 0, 0, retryFloor},
		{3, 0, 0, 4 * retryFloor},
		{50, 0, 0, retryCeiling},
		{0, time.Minute, time.Hour, time.Minute},
		{2, time.Minute, time.Hour, 2 * time.Minute},
		{8, time.Minute, time.Hour, time.Hour},
	} {
		for range 50 {
			got := backoff(c.attempts, c.floor, c.ceiling)
			if lo, hi := c.want*4/5, c.want*6/5; got < lo || got > hi {
				t.Fatalf("backoff(%d, %v, %v) = %v, want %v ±20%%", c.attempts, c.floor, c.ceiling, got, c.want)
			}
		}
	}
}
