package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/store"
)

// queueWalkLimit bounds the queued parts read per scrape, so a huge backlog
// costs a scrape a bounded time; smsbridge_queue_walk_complete says when
// the per-transport figures are cut short.
const queueWalkLimit = 100_000

// Queue is what the scrape reads of the store.
type Queue interface {
	Stats() (map[store.PartState]int, error)
	Queued(limit int, fn func(store.QueuedPart)) (complete bool, err error)
}

// Sources are what the gauges are read from at scrape time. Any may be nil.
type Sources struct {
	Transports func() []bridge.TransportStatus // e.g. (*bridge.Gateway).Transports
	Queue      Queue                           // e.g. *store.DB
	Route      func(number string) string      // e.g. (*bridge.Gateway).RouteOf
	Now        func() time.Time                // time.Now when nil
}

// Attach sets where the gauges are read from; it may be called again (a
// reload) and is safe while scrapes run.
func (m *Metrics) Attach(s Sources) {
	if s.Now == nil {
		s.Now = time.Now
	}
	m.src.Store(&s)
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(namespace+"_"+name, help, labels, nil)
}

var (
	descParts          = desc("parts", "SMS parts in the store, by state.", "state")
	descStoreUp        = desc("store_up", "1 when the store answered this scrape.")
	descQueueDepth     = desc("queue_depth", "Queued parts by transport: of their last attempt, else the first of their route (\"none\": no route).", "transport")
	descQueueOldest    = desc("queue_oldest_seconds", "Age of the oldest queued part's message, by transport as in queue_depth.", "transport")
	descQueueComplete  = desc("queue_walk_complete", "1 when queue_depth and queue_oldest_seconds counted every queued part.")
	descTransportUp    = desc("transport_up", "1 when the transport can send now.", "transport")
	descInFlight       = desc("transport_in_flight", "Submits under way.", "transport")
	descSlots          = desc("transport_slots", "Submits under way at most (window × binds).", "transport")
	descThroughput     = desc("transport_throughput", "Accepted submits per second over the last minute.", "transport")
	descModemUp        = desc("modem_up", "1 when the modem is open and registered.", "transport", "device")
	descModemSignal    = desc("modem_signal_rssi", "The modem's signal as +CSQ RSSI (0-31; 99 unknown).", "transport", "device")
	descSIMSent        = desc("sim_sent", "SMS sent through the SIM this period (day or month).", "transport", "device", "period")
	descSIMLimit       = desc("sim_limit", "The configured SMS limit per SIM and period (0: none).", "transport", "period")
	allCollectorDescs  = []*prometheus.Desc{descClassDepth, descClassOldest, descParts, descStoreUp, descQueueDepth, descQueueOldest, descQueueComplete, descTransportUp, descInFlight, descSlots, descThroughput, descModemUp, descModemSignal, descSIMSent, descSIMLimit, descModemUnacked, descModemIndicationsOff}
	partStatesInGauges = []store.PartState{store.PartQueued, store.PartSubmitting, store.PartSubmitted, store.PartDelivered, store.PartFailed, store.PartExpired, store.PartCancelled}
)

// collector reads the gauges at scrape time.
type collector struct{ m *Metrics }

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allCollectorDescs {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	src := c.m.src.Load()
	if src == nil {
		return
	}
	if src.Queue != nil {
		collectQueue(ch, src)
	}
	if src.Transports != nil {
		for _, ts := range src.Transports() {
			c.collectTransport(ch, ts)
		}
	}
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func collectQueue(ch chan<- prometheus.Metric, src *Sources) {
	stats, err := src.Queue.Stats()
	gauge(ch, descStoreUp, boolValue(err == nil))
	if err != nil {
		return
	}
	for _, s := range partStatesInGauges {
		gauge(ch, descParts, float64(stats[s]), s.String())
	}
	depth := map[string]int{}
	oldest := map[string]time.Time{}
	var classes classWalk
	complete, err := src.Queue.Queued(queueWalkLimit, func(q store.QueuedPart) {
		classes.add(q)
		name := q.Transport
		if name == "" && src.Route != nil {
			name = src.Route(q.Number)
		}
		if name == "" {
			name = "none"
		}
		depth[name]++
		if o, ok := oldest[name]; !ok || q.Received.Before(o) {
			oldest[name] = q.Received
		}
	})
	if err != nil {
		return
	}
	gauge(ch, descQueueComplete, boolValue(complete))
	now := src.Now()
	classes.emit(ch, now)
	for name, n := range depth {
		gauge(ch, descQueueDepth, float64(n), name)
		gauge(ch, descQueueOldest, max(now.Sub(oldest[name]), 0).Seconds(), name)
	}
}

func (c *collector) collectTransport(ch chan<- prometheus.Metric, ts bridge.TransportStatus) {
	gauge(ch, descTransportUp, boolValue(ts.Up), ts.Name)
	gauge(ch, descInFlight, float64(ts.InFlight), ts.Name)
	gauge(ch, descSlots, float64(ts.Slots), ts.Name)
	gauge(ch, descThroughput, c.m.rates.rate(ts.Name), ts.Name)
	if ts.Details != nil && ts.Details.ModemsStatus != nil {
		c.collectModems(ch, ts.Name, ts.Details.ModemsStatus)
	}
}
