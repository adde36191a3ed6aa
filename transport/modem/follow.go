package modem

import (
	"fmt"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/transport"
)

// simOfID returns the SIM an id of Send names: ids are
// "sim:reference:digits" (see reportID) or "sim:-:serial".
func simOfID(id string) (string, bool) {
	i := strings.LastIndexByte(id, ':')
	if i <= 0 {
		return "", false
	}
	j := strings.LastIndexByte(id[:i], ':')
	if j <= 0 {
		return "", false
	}
	return id[:j], true
}

// follow finds the modem whose SIM sent id, for another part of the same
// message; t.mu is held. While some modem is not up yet (its SIM unknown)
// the part waits; a SIM in no modem, or at its limit, cannot be followed.
func (t *Transport) follow(id string, now time.Time) (*modem, error) {
	sim, ok := simOfID(id)
	if !ok {
		return nil, fmt.Errorf("id %q names no SIM: %w", id, transport.ErrCannotFollow)
	}
	waiting := false
	for _, m := range t.modems {
		if m.sim == sim {
			return m, t.canFollow(m, now)
		}
		if m.sess == nil {
			waiting = true
		}
	}
	if waiting {
		return nil, errPinned
	}
	return nil, fmt.Errorf("SIM %s is in no modem: %w", sim, transport.ErrCannotFollow)
}

// promised counts the parts m's pins still expect: room a SIM must keep
// for messages it has begun, so that a new one does not take it; t.mu is
// held. Parts in flight count in reserved too: an overcount that only errs
// on the side of not splitting.
func (t *Transport) promised(m *modem) int {
	n := 0
	for _, pn := range t.pins {
		if pn.m == m {
			n += pn.left
		}
	}
	return n
}

// canFollow reports whether m can send the next part of a message whose
// other parts it sent; t.mu is held. A modem that is down is waited for.
func (t *Transport) canFollow(m *modem, now time.Time) error {
	switch {
	case m.sess == nil:
		return errPinned
	case !m.use.room(now, 1):
		return fmt.Errorf("SIM %s is at its daily or monthly limit: %w", m.sim, transport.ErrCannotFollow)
	}
	return nil
}
