// Package metrics exposes smsbridge's Prometheus metrics: counters and
// histograms fed by the bridge as mail and SMS flow (it implements
// bridge.Observer), SMTP replies by code, and gauges read at scrape time
// from the queue and the transports.
package metrics

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport"
)

const namespace = "smsbridge"

// Metrics holds every metric of one gateway. Create it with New, pass it
// as bridge.Options.Observer, then Attach the gateway and the store.
type Metrics struct {
	reg *prometheus.Registry

	messages, recipients, parts *prometheus.CounterVec // by source
	smtpReplies                 *prometheus.CounterVec // by code, class
	submitted                   *prometheus.CounterVec // by transport
	submitFailures              *prometheus.CounterVec // by transport, kind
	final                       *prometheus.CounterVec // by state
	receipts                    *prometheus.CounterVec // by transport, status, matched
	receiptsDropped             *prometheus.CounterVec // by transport
	inbound                     *prometheus.CounterVec // by transport
	mails                       *prometheus.CounterVec // by result
	submitSeconds               *prometheus.HistogramVec
	endToEndSeconds             *prometheus.HistogramVec
	inDoubt                     inDoubt
	classEndToEndSeconds        *prometheus.HistogramVec

	rates *throughput
	hist  *history
	src   atomic.Pointer[Sources]
}

var _ bridge.Observer = (*Metrics)(nil)

// New makes the metrics with their own registry (plus the Go runtime and
// process collectors).
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), rates: newThroughput(time.Now), hist: &history{now: time.Now}}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
		m.reg.MustRegister(c)
		return c
	}
	m.messages = counter("messages_queued_total", "Mails and texts stored for sending, by source (smtp, api, cli, keyword).", "source")
	m.recipients = counter("recipients_queued_total", "Recipient numbers of stored messages, by source.", "source")
	m.parts = counter("parts_queued_total", "SMS parts stored for sending (parts × numbers), by source.", "source")
	m.smtpReplies = counter("smtp_replies_total", "SMTP replies to DATA and refusals at any stage, by code and class (accepted, temporary, permanent).", "code", "class")
	m.submitted = counter("parts_submitted_total", "SMS parts the network accepted, by transport.", "transport")
	m.submitFailures = counter("submit_failures_total", "Failed submit attempts, by transport and kind (temporary: retried; permanent: failed).", "transport", "kind")
	m.final = counter("parts_final_total", "SMS parts that reached a final state, by state.", "state")
	m.receipts = counter("receipts_total", "Delivery receipts, by transport, status (DELIVRD, UNDELIV, …) and whether they matched a part.", "transport", "status", "matched")
	m.receiptsDropped = counter("receipts_dropped_total", "Receipts that came before their submit was recorded and were dropped to keep those waiting within bounds, by transport.", "transport")
	m.inbound = counter("inbound_total", "SMS from phones, by transport.", "transport")
	m.mails = counter("mails_sent_total", "Mail the gateway sent (reports, replies), by result (ok, failed).", "result")
	m.submitSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "submit_duration_seconds",
		Help: "Round trip of one successful submit to the network, by transport.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)},
		[]string{"transport"})
	m.endToEndSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "end_to_end_seconds",
		Help: "From acceptance of the mail or text to the network's acceptance of a part, by transport.", Buckets: prometheus.ExponentialBuckets(0.1, 4, 12)},
		[]string{"transport"})
	m.registerInDoubt()
	m.classEndToEndSeconds = newClassLatency()
	m.reg.MustRegister(m.submitSeconds, m.endToEndSeconds, m.classEndToEndSeconds, &collector{m: m},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Registry is where the metrics are registered, for tests and for adding
// collectors of other packages.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// SMTPReply counts one SMTP reply: 250 for an accepted mail, 4xx and 5xx
// for refusals at any stage. smtpd calls it where it converts replies.
func (m *Metrics) SMTPReply(code int) {
	class := "accepted"
	switch {
	case code >= 500:
		class = "permanent"
	case code >= 400:
		class = "temporary"
	}
	m.smtpReplies.WithLabelValues(strconv.Itoa(code), class).Inc()
}

// Throughput is a transport's accepted submits per second over the last
// minute.
func (m *Metrics) Throughput(transport string) float64 { return m.rates.rate(transport) }

// MessageQueued implements bridge.Observer.
func (m *Metrics) MessageQueued(source string, recipients, parts int) {
	m.messages.WithLabelValues(source).Inc()
	m.recipients.WithLabelValues(source).Add(float64(recipients))
	m.parts.WithLabelValues(source).Add(float64(parts))
	m.hist.add(func(h *Minute) { h.Accepted++ })
}

// PartSubmitted implements bridge.Observer.
func (m *Metrics) PartSubmitted(transport string, c priority.Class, took, waited time.Duration) {
	m.submitted.WithLabelValues(transport).Inc()
	m.submitSeconds.WithLabelValues(transport).Observe(took.Seconds())
	m.endToEndSeconds.WithLabelValues(transport).Observe(max(waited, 0).Seconds())
	m.classEndToEndSeconds.WithLabelValues(c.String()).Observe(max(waited, 0).Seconds())
	m.rates.add(transport)
	m.hist.add(func(h *Minute) { h.Submitted, h.Took, h.Waited = h.Submitted+1, h.Took+took, h.Waited+max(waited, 0) })
}

// SubmitFailed implements bridge.Observer.
func (m *Metrics) SubmitFailed(transport string, temporary bool) {
	kind := "permanent"
	if temporary {
		kind = "temporary"
	}
	m.submitFailures.WithLabelValues(transport, kind).Inc()
}

// PartFinal implements bridge.Observer.
func (m *Metrics) PartFinal(state store.PartState) {
	m.final.WithLabelValues(state.String()).Inc()
	m.hist.partFinal(state)
}

// Receipt implements bridge.Observer.
func (m *Metrics) Receipt(transport string, state transport.ReceiptState, matched bool) {
	m.receipts.WithLabelValues(transport, state.String(), strconv.FormatBool(matched)).Inc()
}

// ReceiptDropped implements bridge.Observer.
func (m *Metrics) ReceiptDropped(transport string) {
	m.receiptsDropped.WithLabelValues(transport).Inc()
}

// Inbound implements bridge.Observer.
func (m *Metrics) Inbound(transport string) { m.inbound.WithLabelValues(transport).Inc() }

// MailSent implements bridge.Observer.
func (m *Metrics) MailSent(ok bool) {
	result := "failed"
	if ok {
		result = "ok"
	}
	m.mails.WithLabelValues(result).Inc()
}
