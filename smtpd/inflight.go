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
// MaxInFlightPerClient slots: one that is over is answered at once, so a
// few clients sending slowly cannot take every slot from the others.
func (s *Server) acquireInFlight(ctx context.Context, ip netip.Addr, user string) (release func(), err error) {
	keys := s.perClient.keys(ip, user)
	if !s.perClient.take(keys) {
		return nil, &Error{Code: 450, Enhanced: [3]int{4, 7, 1},
			Message: fmt.Sprintf("Too many messages in progress from you (max_inflight_per_client %d), try again later", s.perClient.limit)}
	}
	slot, err := s.globalSlot(ctx)
	if err != nil {
		s.perClient.give(keys)
		return nil, err
	}
	return func() {
		slot()
		s.perClient.give(keys)
	}, nil
}

func (s *Server) globalSlot(ctx context.Context) (release func(), err error) {
	if s.inFlight == nil {
		return func() {}, nil
	}
	select {
	case s.inFlight <- struct{}{}:
		return func() { <-s.inFlight }, nil
	default:
	}
	t := time.NewTimer(s.cfg.InFlightWait)
	defer t.Stop()
	select {
	case s.inFlight <- struct{}{}:
		return func() { <-s.inFlight }, nil
	case <-t.C:
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
}

func newClientSlots(limit int) *clientSlots {
	return &clientSlots{limit: limit, held: make(map[string]int)}
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

// take counts one DATA against every key unless one of them is at the cap.
func (c *clientSlots) take(keys []string) bool {
	if c.limit <= 0 {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		if c.held[k] >= c.limit {
			return false
		}
	}
	for _, k := range keys {
		c.held[k]++
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
}
