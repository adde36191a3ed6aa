package metrics

import (
	"sync"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

// historyMinutes is how far back History keeps figures: a day.
const historyMinutes = 24 * 60

// Minute is what happened in one minute, for pages that show the gateway's
// recent traffic without Prometheus.
type Minute struct {
	Start     time.Time
	Accepted  int           // messages stored for sending (mail and texts)
	Submitted int           // parts the network accepted
	Failed    int           // parts that failed or expired
	Took      time.Duration // sum of the submits' round trips
	Waited    time.Duration // sum of the times from acceptance to submit
}

// history keeps a Minute for each of the last historyMinutes minutes in a
// ring: cheap to add to on hot paths, bounded in memory.
type history struct {
	now  func() time.Time
	mu   sync.Mutex
	ring [historyMinutes]Minute
}

// at returns the bucket of the minute of t, emptied when it held an older
// minute. The caller holds h.mu.
func (h *history) at(t time.Time) *Minute {
	start := t.Truncate(time.Minute)
	b := &h.ring[(start.Unix()/60)%historyMinutes]
	if !b.Start.Equal(start) {
		*b = Minute{Start: start}
	}
	return b
}

func (h *history) add(f func(*Minute)) {
	now := h.now()
	h.mu.Lock()
	f(h.at(now))
	h.mu.Unlock()
}

func (h *history) partFinal(s store.PartState) {
	if s == store.PartFailed || s == store.PartExpired {
		h.add(func(m *Minute) { m.Failed++ })
	}
}

// last returns the n most recent minutes, oldest first, the current one
// last; minutes with nothing are there with their Start and zeros.
func (h *history) last(n int) []Minute {
	n = min(max(n, 0), historyMinutes)
	now := h.now().Truncate(time.Minute)
	out := make([]Minute, n)
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range out {
		start := now.Add(-time.Duration(n-1-i) * time.Minute)
		b := h.ring[(start.Unix()/60)%historyMinutes]
		if b.Start.Equal(start) {
			out[i] = b
		} else {
			out[i] = Minute{Start: start}
		}
	}
	return out
}

// History is the gateway's traffic minute by minute over the last n
// minutes (at most a day), oldest first, the minute under way last. It is
// kept in memory: a restart starts it again.
func (m *Metrics) History(n int) []Minute { return m.hist.last(n) }
