package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/transport"
)

// writeHealth is implemented by a Queue that knows whether it can write
// (*store.DB): a store that reads but cannot write takes no work.
type writeHealth interface {
	WriteFailure() (since time.Time, err error)
}

// HealthView answers /healthz and /readyz.
type HealthView struct {
	Status string            `json:"status"`           // ok | unready
	Checks map[string]string `json:"checks,omitempty"` // what was looked at, and how it stands
}

// healthz: the process answers. A supervisor restarts it when this fails.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, HealthView{Status: "ok"})
}

// readyz: the store answers and takes writes, and at least one transport
// can send, here or, for SMPP accounts shared by gateways, through a bind
// another gateway holds. A load balancer sends no work here while this
// fails.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	v := HealthView{Status: "ok", Checks: map[string]string{"store": "ok", "transports": "ok"}}
	if _, err := s.opt.Queue.Stats(); err != nil {
		v.Status, v.Checks["store"] = "unready", err.Error()
	} else if wh, ok := s.opt.Queue.(writeHealth); ok {
		if since, err := wh.WriteFailure(); err != nil {
			v.Status = "unready"
			v.Checks["store"] = fmt.Sprintf("writes failing since %s: %v", since.UTC().Format(time.RFC3339), err)
		}
	}
	up := false
	var missed []string
	for _, t := range s.opt.Gateway.Transports() {
		up = up || t.Up
		missed = append(missed, missedIndications(t.Name, t.Details)...)
	}
	// A modem that missed indications still sends, and its SIM poll has
	// read what they were for: said here, it does not make us unready.
	if len(missed) > 0 {
		v.Checks["modem_indications"] = strings.Join(missed, "; ")
	}
	if !up && s.opt.BindHolders != nil {
		// Gateways sharing SMPP accounts: one holding no bind still takes
		// mail, which the gateways holding them send.
		if held := s.heldElsewhere(r.Context()); held != "" {
			up, v.Checks["transports"] = true, "no bind here; other gateways hold "+held
		}
	}
	if !up {
		v.Status, v.Checks["transports"] = "unready", "no transport is up"
	}
	status := http.StatusOK
	if v.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, v)
}

// heldElsewhere names the SMPP transports' binds other gateways hold
// ("smsc bind 0 on gw2, …"), or "" when none is held.
func (s *Server) heldElsewhere(ctx context.Context) string {
	var held []string
	for _, t := range s.opt.Gateway.Transports() {
		if t.Details == nil || t.Details.SMPPStatus == nil {
			continue
		}
		for _, b := range s.bindHolders(ctx, t.Name) {
			held = append(held, fmt.Sprintf("%s bind %d on %s", t.Name, b.Bind, b.Instance))
		}
	}
	return strings.Join(held, ", ")
}

// missedIndications says, per modem, what acknowledgements it did not take
// and how often its indications were found off (and turned on again).
func missedIndications(name string, st *transport.Status) []string {
	if st == nil || st.ModemsStatus == nil {
		return nil
	}
	var out []string
	for _, m := range st.Modems {
		if m.Unacknowledged > 0 || m.IndicationsOff > 0 {
			out = append(out, fmt.Sprintf("%s %s: %d unacknowledged, found off %d times and turned on again",
				name, m.Device, m.Unacknowledged, m.IndicationsOff))
		}
	}
	return out
}
