package policy

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// rateLimits holds one token bucket per key: n events per period, in a
// burst of at most n. Idle buckets are full again, so they are dropped.
type rateLimits struct {
	period time.Duration

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	n    int
	last time.Time
}

// rateSoftCap is the table size past which idle buckets are dropped.
const rateSoftCap = 4096

func newRateLimits(period time.Duration) *rateLimits {
	return &rateLimits{period: period, buckets: map[string]*bucket{}}
}

// allow takes one event for key at now if the bucket has room.
func (r *rateLimits) allow(key string, n int, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.buckets[key]
	if b == nil || b.n != n {
		if len(r.buckets) >= rateSoftCap {
			r.prune(now)
		}
		b = &bucket{lim: rate.NewLimiter(rate.Every(r.period/time.Duration(n)), n), n: n}
		r.buckets[key] = b
	}
	b.last = now
	return b.lim.AllowN(now, 1)
}

func (r *rateLimits) prune(now time.Time) {
	for k, b := range r.buckets {
		if now.Sub(b.last) > r.period {
			delete(r.buckets, k)
		}
	}
}
