package bridge

import "github.com/smsbridge/smsbridge/transport"

// TransportStatus is how one transport stands, for the API and metrics.
type TransportStatus struct {
	Name     string            `json:"name"`
	Up       bool              `json:"up"`
	InFlight int               `json:"in_flight"` // submits under way
	Slots    int               `json:"slots"`     // submits under way at most (window × binds)
	Details  *transport.Status `json:"details,omitempty"`
}

// detailer is implemented by transports with more to tell: bind states,
// modem signal and SIM quota used.
type detailer interface{ Status() transport.Status }

// Transports reports every transport in configuration order.
func (g *Gateway) Transports() []TransportStatus {
	out := make([]TransportStatus, 0, len(g.order))
	for _, name := range g.order {
		l := g.lanes[name]
		l.mu.Lock()
		ts := TransportStatus{Name: name, Up: l.isUp(), InFlight: l.inflight, Slots: l.slots}
		l.mu.Unlock()
		if d, ok := l.t.(detailer); ok {
			st := d.Status()
			ts.Details = &st
		}
		out = append(out, ts)
	}
	return out
}
