package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/smsbridge/smsbridge/bridge"
)

var _ bridge.InDoubtObserver = (*Metrics)(nil)

// inDoubt counts what happens to submits whose outcome was not known in time.
type inDoubt struct {
	submits, resends, duplicates *prometheus.CounterVec // by transport
}

func (m *Metrics) registerInDoubt() {
	counter := func(name, help string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, []string{"transport"})
		m.reg.MustRegister(c)
		return c
	}
	m.inDoubt.submits = counter("submits_in_doubt_total", "Submits not answered within the response time (smpp response_timeout, a modem's +CMGS timeout), by transport.")
	m.inDoubt.resends = counter("in_doubt_resends_total", "Parts sent again after a send in doubt, by transport.")
	m.inDoubt.duplicates = counter("duplicates_detected_total", "Parts two of whose sends the network accepted (two ids for one part), by transport.")
}

// SubmitInDoubt implements bridge.InDoubtObserver.
func (m *Metrics) SubmitInDoubt(transport string) { m.inDoubt.submits.WithLabelValues(transport).Inc() }

// InDoubtResend implements bridge.InDoubtObserver.
func (m *Metrics) InDoubtResend(transport string) { m.inDoubt.resends.WithLabelValues(transport).Inc() }

// DuplicateDetected implements bridge.InDoubtObserver.
func (m *Metrics) DuplicateDetected(transport string) {
	m.inDoubt.duplicates.WithLabelValues(transport).Inc()
}
