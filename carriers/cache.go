package carriers

import (
	"slices"
	"sync"
)

// NumberCache remembers Normalize's answers for one policy. Mail to SMS
// goes to the same few numbers again and again (the on-call phones), and
// libphonenumber's parsing is the costliest part of accepting a recipient.
// It holds at most cacheSize inputs and starts afresh when full.
type NumberCache struct {
	policy NumberPolicy // the policy the answers are for
	mu     sync.Mutex
	byKey  map[string]normalized
}

type normalized struct {
	e164   string
	reason string // "" when e164 is the answer
}

const cacheSize = 8192

// Cached returns p with a cache of its answers. Copies of the result share
// the cache; one whose fields are changed afterwards no longer uses it.
func (p NumberPolicy) Cached() NumberPolicy {
	p.cache = &NumberCache{policy: p, byKey: make(map[string]normalized)}
	return p
}

func (c *NumberCache) get(p NumberPolicy, local string) (normalized, bool) {
	if c == nil || !c.policy.same(p) {
		return normalized{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.byKey[local]
	return n, ok
}

func (c *NumberCache) put(p NumberPolicy, local string, n normalized) {
	if c == nil || !c.policy.same(p) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.byKey) >= cacheSize {
		clear(c.byKey)
	}
	c.byKey[local] = n
}

func (p NumberPolicy) same(q NumberPolicy) bool {
	return p.DefaultRegion == q.DefaultRegion && p.Strict == q.Strict && p.AllowPremium == q.AllowPremium &&
		slices.Equal(p.AllowedCountries, q.AllowedCountries)
}
