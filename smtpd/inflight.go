package smtpd

import (
	"context"
	"fmt"
	"time"
)

// acquireInFlight takes one of the MaxInFlight slots for a DATA, waiting
// up to InFlightWait; the caller must call release. Bodies are read only
// with a slot, so the cap also bounds the memory held by messages.
func (s *Server) acquireInFlight(ctx context.Context) (release func(), err error) {
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
