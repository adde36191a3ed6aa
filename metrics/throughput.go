package metrics

import (
	"sync"
	"time"
)

// throughputWindow is how far back Throughput looks.
const throughputWindow = 60

// throughput counts events per transport in one-second buckets over the
// last minute: cheap to add to on the submit path, cheap to read.
type throughput struct {
	now func() time.Time
	mu  sync.Mutex
	per map[string]*secondRing
}

type secondRing struct {
	counts [throughputWindow]int
	secs   [throughputWindow]int64 // the second each bucket holds
}

func newThroughput(now func() time.Time) *throughput {
	return &throughput{now: now, per: map[string]*secondRing{}}
}

func (t *throughput) add(name string) {
	sec := t.now().Unix()
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.per[name]
	if r == nil {
		r = &secondRing{}
		t.per[name] = r
	}
	i := int(sec % throughputWindow)
	if r.secs[i] != sec {
		r.secs[i], r.counts[i] = sec, 0
	}
	r.counts[i]++
}

// rate is the events per second over the last throughputWindow seconds.
func (t *throughput) rate(name string) float64 {
	sec := t.now().Unix()
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.per[name]
	if r == nil {
		return 0
	}
	n := 0
	for i := range r.counts {
		if sec-r.secs[i] < throughputWindow {
			n += r.counts[i]
		}
	}
	return float64(n) / throughputWindow
}
