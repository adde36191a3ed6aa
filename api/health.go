package api

import "net/http"

// HealthView answers /healthz and /readyz.
type HealthView struct {
	Status string            `json:"status"`           // ok | unready
	Checks map[string]string `json:"checks,omitempty"` // what was looked at, and how it stands
}

// healthz: the process answers. A supervisor restarts it when this fails.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, HealthView{Status: "ok"})
}

// readyz: the store answers and at least one transport can send. A load
// balancer sends no work here while this fails.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	v := HealthView{Status: "ok", Checks: map[string]string{"store": "ok", "transports": "ok"}}
	if _, err := s.opt.Queue.Stats(); err != nil {
		v.Status, v.Checks["store"] = "unready", err.Error()
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
