package api

import (
	"fmt"
	"net/http"
	"time"
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
	for _, t := range s.opt.Gateway.Transports() {
		up = up || t.Up
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
