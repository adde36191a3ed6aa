package smtpd

import (
	"net/netip"
	"sync"
	"time"

	"github.com/smsbridge/smsbridge/internal/backoff"
)

// clientKey groups addresses one client is likely to hold: the address for
// IPv4, its /64 for IPv6 (one host often has a whole /64).
func clientKey(ip netip.Addr) netip.Prefix {
	if ip.Is4() {
		return netip.PrefixFrom(ip, 32)
	}
	p, _ := ip.Prefix(64)
	return p
}

// authThrottle counts failed AUTH attempts per client and says how long to
// wait before answering the next failure: base, doubled with each failure,
// at most ceiling. A client's count is forgotten after window without a
// failure, or on success.
type authThrottle struct {
	delay  backoff.Policy
	window time.Duration

	mu    sync.Mutex
	fails map[netip.Prefix]failRecord
}

type failRecord struct {
	n    int
	last time.Time
}

// throttleSoftCap is the table size past which stale entries are dropped.
const throttleSoftCap = 4096

func newAuthThrottle(base, ceiling, window time.Duration) *authThrottle {
	return &authThrottle{delay: backoff.Policy{Floor: base, Ceiling: ceiling}, window: window, fails: map[netip.Prefix]failRecord{}}
}

// fail records a failure from ip at now and returns the client's failure
// count and the delay to apply.
func (t *authThrottle) fail(ip netip.Addr, now time.Time) (int, time.Duration) {
	k := clientKey(ip)
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.fails[k]
	if now.Sub(r.last) > t.window {
		r.n = 0
	}
	r.n++
	r.last = now
	if len(t.fails) >= throttleSoftCap {
		t.prune(now)
	}
	t.fails[k] = r
	return r.n, t.delay.Delay(r.n)
}

func (t *authThrottle) succeed(ip netip.Addr) {
	t.mu.Lock()
	delete(t.fails, clientKey(ip))
	t.mu.Unlock()
}

// prune drops expired entries; if a flood of addresses keeps the table
// full, it is emptied rather than allowed to grow without bound.
func (t *authThrottle) prune(now time.Time) {
	for k, r := range t.fails {
		if now.Sub(r.last) > t.window {
			delete(t.fails, k)
		}
	}
	if len(t.fails) >= 4*throttleSoftCap {
		clear(t.fails)
	}
}
