package modem

import (
	"context"
	"sync"
	"time"
)

// usage is one SIM's send count as last known, for the calendar day and
// month it was read in.
type usage struct {
	day, month     string // "20060102", "200601" in the clock's location
	dayN, monthN   int
	reserved       int // sends chosen for this SIM and not yet finished
	dayMax, monMax int
}

func dayKey(t time.Time) string   { return t.Format("20060102") }
func monthKey(t time.Time) string { return t.Format("200601") }

// roll starts new counts when the day or month has changed since they were
// read: the store counts a new day from zero too.
func (u *usage) roll(now time.Time) {
	if d := dayKey(now); d != u.day {
		u.day, u.dayN = d, 0
	}
	if m := monthKey(now); m != u.month {
		u.month, u.monthN = m, 0
	}
}

// room reports whether n more sends fit within the limits (0 = none).
func (u *usage) room(now time.Time, n int) bool {
	u.roll(now)
	used := u.reserved + n
	return (u.dayMax == 0 || u.dayN+used <= u.dayMax) && (u.monMax == 0 || u.monthN+used <= u.monMax)
}

func (u *usage) set(now time.Time, dayN, monthN int) {
	u.day, u.month, u.dayN, u.monthN = dayKey(now), monthKey(now), dayN, monthN
}

// memQuota counts in memory: for a transport built without a store.
type memQuota struct {
	mu sync.Mutex
	n  map[string]int
}

func newMemQuota() *memQuota { return &memQuota{n: map[string]int{}} }

func (q *memQuota) QuotaAdd(_ context.Context, sim string, day time.Time, n int) (int, int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.n[sim+"/"+dayKey(day)] += n
	q.n[sim+"/"+monthKey(day)] += n
	return q.n[sim+"/"+dayKey(day)], q.n[sim+"/"+monthKey(day)], nil
}

func (q *memQuota) QuotaGet(_ context.Context, sim string, day time.Time) (int, int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n[sim+"/"+dayKey(day)], q.n[sim+"/"+monthKey(day)], nil
}
