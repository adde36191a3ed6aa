package api

import (
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
// can send. A load balancer sends no work here while this fails.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
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
	if !up {
		v.Status, v.Checks["transports"] = "unready", "no transport is up"
	}
	status := http.StatusOK
	if v.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, v)
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
