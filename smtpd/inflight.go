package smtpd

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// acquireInFlight takes one of the MaxInFlight slots for a DATA, waiting
// up to InFlightWait; the caller must call release. Bodies are read only
// with a slot, so the cap also bounds the memory held by messages.
//
// A client (its address, and its user when logged in) holds at most
// MaxInFlightPerClient slots, so that a few clients sending slowly cannot
// take every slot from the others; one at its cap waits, within the same
// InFlightWait, for one of its own slots to come free.
func (s *Server) acquireInFlight(ctx context.Context, ip netip.Addr, user string) (release func(), err error) {
	wait := time.NewTimer(s.cfg.InFlightWait)
	defer wait.Stop()
	keys := s.perClient.keys(ip, user)
	if !s.perClient.take(ctx, keys, wait.C) {
		return nil, &Error{Code: 450, Enhanced: [3]int{4, 7, 1},
			Message: fmt.Sprintf("Too many messages in progress from you (max_inflight_per_client %d), try again later", s.perClient.limit)}
	}
	slot, err := s.globalSlot(ctx, wait.C)
	if err != nil {
		s.perClient.give(keys)
		return nil, err
	}
	return func() {
		slot()
		s.perClient.give(keys)
	}, nil
}

func (s *Server) globalSlot(ctx context.Context, timeout <-chan time.Time) (release func(), err error) {
	if s.inFlight == nil {
		return func() {}, nil
	}
	select {
	case s.inFlight <- struct{}{}:
		return func() { <-s.inFlight }, nil
	default:
	}
	select {
	case s.inFlight <- struct{}{}:
		return func() { <-s.inFlight }, nil
	case <-timeout:
	case <-ctx.Done():
	}
	return nil, &Error{Code: 450, Enhanced: [3]int{4, 7, 1},
		Message: fmt.Sprintf("Too many messages in progress (max_in_flight %d), try again later", s.cfg.MaxInFlight)}
}

// clientSlots counts the DATA transactions in progress per client address
// (per /64 for IPv6) and per authenticated user.
type clientSlots struct {
	limit int // 0: no cap
	mu    sync.Mutex
	held  map[string]int
	freed chan struct{} // closed, and replaced, whenever a slot is given back
}

func newClientSlots(limit int) *clientSlots {
	return &clientSlots{limit: limit, held: make(map[string]int), freed: make(chan struct{})}
}

// keys names what a DATA from ip, logged in as user ("" for none), counts
// against.
func (c *clientSlots) keys(ip netip.Addr, user string) []string {
	var keys []string
	if ip.IsValid() {
		keys = append(keys, "addr "+clientKey(ip).String())
	}
	if user != "" {
		keys = append(keys, "user "+user)
	}
	return keys
}

// take counts one DATA against every key, waiting while one of them is at
// the cap; it gives up, returning false, when timeout fires or ctx ends.
func (c *clientSlots) take(ctx context.Context, keys []string, timeout <-chan time.Time) bool {
	if c.limit <= 0 {
		return true
	}
	for {
		c.mu.Lock()
		if c.fits(keys) {
			for _, k := range keys {
				c.held[k]++
			}
			c.mu.Unlock()
			return true
		}
		freed := c.freed
		c.mu.Unlock()
		select {
		case <-freed:
		case <-timeout:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

func (c *clientSlots) fits(keys []string) bool {
	for _, k := range keys {
		if c.held[k] >= c.limit {
			return false
		}
	}
	return true
}

func (c *clientSlots) give(keys []string) {
	if c.limit <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		if c.held[k]--; c.held[k] <= 0 {
			delete(c.held, k)
		}
	}
	close(c.freed)
	c.freed = make(chan struct{})
}
