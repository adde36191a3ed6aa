package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/store"
)

// Per-class views of the queue: how deep each class is, how old its
// oldest part, and how long its parts take from acceptance to the network.
var (
	descClassDepth  = desc("class_queue_depth", "Queued parts by priority class (urgent, normal, bulk).", "class")
	descClassOldest = desc("class_queue_oldest_seconds", "Age of the oldest queued part's message, by priority class.", "class")
)

func newClassLatency() *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "class_end_to_end_seconds",
		Help:    "From acceptance of the mail or text to the network's acceptance of a part, by priority class.",
		Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 14)}, []string{"class"})
}

// classWalk gathers the per-class gauges during the queue walk.
type classWalk struct {
	depth  [len(priority.Classes)]int
	oldest [len(priority.Classes)]time.Time
}

func (w *classWalk) add(q store.QueuedPart) {
	r := q.Class.Rank()
	w.depth[r]++
	if w.oldest[r].IsZero() || q.Received.Before(w.oldest[r]) {
		w.oldest[r] = q.Received
	}
}

// emit reports every class, empty ones as 0, so a class's series does not
// vanish when its queue drains.
func (w *classWalk) emit(ch chan<- prometheus.Metric, now time.Time) {
	for r, c := range priority.Classes {
		age := 0.0
		if !w.oldest[r].IsZero() {
			age = max(now.Sub(w.oldest[r]), 0).Seconds()
		}
		gauge(ch, descClassDepth, float64(w.depth[r]), c.String())
		gauge(ch, descClassOldest, age, c.String())
	}
}
