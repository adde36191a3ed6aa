package console

import (
	"cmp"
	"net/http"
	"slices"
	"time"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/metrics"
	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport"
)

// queueWalkLimit bounds the queued parts one overview reads.
const queueWalkLimit = 100_000

type overviewPage struct {
	base
	Transports []transportRow
	Queue      []queueRow
	QueueAll   bool // every queued part was counted
	QueueErr   bool
	Hour, Day  traffic
	Throughput chart
	Latency    chart
}

type transportRow struct {
	bridge.TransportStatus
	Throughput float64
	Binds      int // SMPP binds that can submit; -1 when not SMPP
	Wanted     int
	Window     int // in flight over slots, percent
	Modems     []modemRow
	Daily      int // SIM limits; 0: none
	Monthly    int
}

type modemRow struct {
	transport.ModemStatus
	Signal int // percent of the +CSQ scale; -1 unknown
	Day    int // percent of the daily limit used
	Month  int
}

// queueKey is what the queue table groups by: the transport of the last
// attempt, else the first of the route; and the priority class.
type queueKey struct {
	Transport string
	Class     priority.Class
}

type queueRow struct {
	queueKey
	Depth  int
	Oldest time.Duration
}

// traffic sums the history over a span.
type traffic struct {
	Span                        string
	Accepted, Submitted, Failed int
}

func (c *Console) overview(w http.ResponseWriter, r *http.Request, v viewer) {
	p := overviewPage{base: base{v, "Overview", "overview"}}
	for _, ts := range c.opt.Gateway.Transports() {
		p.Transports = append(p.Transports, c.transportRow(ts))
	}
	p.Queue, p.QueueAll, p.QueueErr = c.queueRows()
	var minutes []metrics.Minute
	if c.opt.History != nil {
		minutes = c.opt.History(24 * 60)
	}
	p.Day = sumTraffic("day", minutes)
	lastHour := minutes[max(len(minutes)-60, 0):]
	p.Hour = sumTraffic("hour", lastHour)
	p.Throughput, p.Latency = trafficCharts(lastHour)
	c.render(w, http.StatusOK, "overview", p)
}

func (c *Console) transportRow(ts bridge.TransportStatus) transportRow {
	row := transportRow{TransportStatus: ts, Binds: -1, Window: percent(ts.InFlight, ts.Slots)}
	if c.opt.Throughput != nil {
		row.Throughput = c.opt.Throughput(ts.Name)
	}
	if ts.Details == nil {
		return row
	}
	if s := ts.Details.SMPPStatus; s != nil {
		row.Binds, row.Wanted = len(s.Bound), s.BindsWanted
	}
	if ms := ts.Details.ModemsStatus; ms != nil {
		row.Daily, row.Monthly = ms.DailyLimit, ms.MonthlyLimit
		for _, m := range ms.Modems {
			mr := modemRow{ModemStatus: m, Signal: -1, Day: percent(m.SentToday, ms.DailyLimit), Month: percent(m.SentMonth, ms.MonthlyLimit)}
			if m.RSSI >= 0 && m.RSSI <= 31 {
				mr.Signal = m.RSSI * 100 / 31
			}
			row.Modems = append(row.Modems, mr)
		}
	}
	return row
}

// queueRows counts the queued parts by transport and class, in class
// order within a transport.
func (c *Console) queueRows() (rows []queueRow, complete, failed bool) {
	depth := map[queueKey]*queueRow{}
	now := c.opt.Now()
	complete, err := c.opt.Store.Queued(queueWalkLimit, func(q store.QueuedPart) {
		k := queueKey{Transport: q.Transport, Class: q.Class}
		if k.Transport == "" {
			k.Transport = c.opt.Gateway.RouteOf(q.Number)
		}
		if k.Transport == "" {
			k.Transport = "none"
		}
		row := depth[k]
		if row == nil {
			row = &queueRow{queueKey: k}
			depth[k] = row
		}
		row.Depth++
		row.Oldest = max(row.Oldest, now.Sub(q.Received))
	})
	if err != nil {
		c.log.Error("console: reading the queue", "err", err)
		return nil, false, true
	}
	for _, row := range depth {
		rows = append(rows, *row)
	}
	slices.SortFunc(rows, func(a, b queueRow) int {
		return cmp.Or(cmp.Compare(a.Transport, b.Transport), cmp.Compare(a.Class.Rank(), b.Class.Rank()))
	})
	return rows, complete, false
}

func sumTraffic(span string, minutes []metrics.Minute) traffic {
	t := traffic{Span: span}
	for _, m := range minutes {
		t.Accepted += m.Accepted
		t.Submitted += m.Submitted
		t.Failed += m.Failed
	}
	return t
}
