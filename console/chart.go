package console

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/metrics"
)

// Charts are drawn here as SVG shapes in the page's coordinates; the
// template writes them out and the stylesheet colours them by class.

const (
	chartW, chartH = 600, 160
	chartLeft      = 48 // room for the value labels
	chartBottom    = 20 // room for the time labels
)

type chart struct {
	W, H   int
	Bars   []rect
	Lines  []polyline
	YTicks []tick
	XTicks []tick
	Legend []legend
	Empty  bool // nothing happened in the span
}

type rect struct {
	X, Y, W, H float64
	Class      string
	Title      string
}

// polyline is a line through points, each also drawn as a dot so that a
// single minute shows.
type polyline struct {
	Points string
	Dots   []tick
	Class  string
}

type tick struct {
	X, Y   float64
	Label  string
	Anchor string // SVG text-anchor of the label
}

type legend struct{ Class, Label string }

func newChart() chart { return chart{W: chartW, H: chartH} }

// plot area
func (c *chart) x(i, n int) float64 {
	return chartLeft + float64(i)*float64(chartW-chartLeft)/float64(max(n, 1))
}
func (c *chart) y(v, top float64) float64 {
	h := float64(chartH - chartBottom)
	if top <= 0 {
		return h
	}
	return h - v/top*(h-8)
}

// axes puts value ticks at 0, half and top and a time tick every 15
// minutes.
func (c *chart) axes(minutes []metrics.Minute, top float64, label func(float64) string) {
	for _, f := range []float64{0, 0.5, 1} {
		c.YTicks = append(c.YTicks, tick{X: chartLeft - 4, Y: c.y(f*top, top), Label: label(f * top), Anchor: "end"})
	}
	for i, m := range minutes {
		if m.Start.Minute()%15 != 0 {
			continue
		}
		t := tick{X: c.x(i, len(minutes)), Y: chartH - 4, Label: m.Start.UTC().Format("15:04"), Anchor: "middle"}
		if i >= len(minutes)-3 { // at the right edge: the label ends there
			t.X, t.Anchor = chartW, "end"
		}
		c.XTicks = append(c.XTicks, t)
	}
}

// niceTop rounds a maximum up to 1, 2 or 5 times a power of ten.
func niceTop(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := 1.0
	for p*10 <= v {
		p *= 10
	}
	for p > v {
		p /= 10
	}
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// trafficCharts draws parts sent and failed per minute, and the mean
// submit round trip and wait from acceptance to submit per minute.
func trafficCharts(minutes []metrics.Minute) (throughput, latency chart) {
	throughput, latency = newChart(), newChart()
	peak, slowest := 0, time.Duration(0)
	for _, m := range minutes {
		peak = max(peak, m.Submitted+m.Failed)
		if m.Submitted > 0 {
			slowest = max(slowest, m.Took/time.Duration(m.Submitted), m.Waited/time.Duration(m.Submitted))
		}
	}
	throughput.Empty, latency.Empty = peak == 0, slowest == 0
	top := niceTop(float64(peak))
	n := len(minutes)
	barW := float64(chartW-chartLeft)/float64(max(n, 1)) - 1
	for i, m := range minutes {
		x := throughput.x(i, n)
		when := m.Start.UTC().Format("15:04")
		if m.Submitted > 0 {
			y := throughput.y(float64(m.Submitted), top)
			throughput.Bars = append(throughput.Bars, rect{X: x, Y: y, W: barW, H: throughput.y(0, top) - y, Class: "sent",
				Title: fmt.Sprintf("%s: %d sent", when, m.Submitted)})
		}
		if m.Failed > 0 {
			y0 := throughput.y(float64(m.Submitted), top)
			y := throughput.y(float64(m.Submitted+m.Failed), top)
			throughput.Bars = append(throughput.Bars, rect{X: x, Y: y, W: barW, H: y0 - y, Class: "failed",
				Title: fmt.Sprintf("%s: %d failed", when, m.Failed)})
		}
	}
	throughput.axes(minutes, top, func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) + "/min" })
	throughput.Legend = []legend{{"sent", "parts sent"}, {"failed", "parts failed"}}

	ltop := niceTop(float64(slowest.Milliseconds()))
	took, waited := polyline{Class: "took"}, polyline{Class: "waited"}
	for i, m := range minutes {
		if m.Submitted == 0 {
			continue
		}
		x := latency.x(i, n) + barW/2
		took.add(x, latency.y(float64((m.Took/time.Duration(m.Submitted)).Milliseconds()), ltop))
		waited.add(x, latency.y(float64((m.Waited/time.Duration(m.Submitted)).Milliseconds()), ltop))
	}
	latency.Lines = []polyline{waited, took}
	latency.axes(minutes, ltop, millis)
	latency.Legend = []legend{{"took", "submit round trip"}, {"waited", "accepted → sent"}}
	return throughput, latency
}

// millis labels a latency: milliseconds under a second, else as an age.
func millis(v float64) string {
	if v < 1000 {
		return strconv.FormatFloat(v, 'f', -1, 64) + "ms"
	}
	return age(time.Duration(v) * time.Millisecond)
}

func (l *polyline) add(x, y float64) {
	l.Points = strings.TrimSpace(l.Points + fmt.Sprintf(" %.1f,%.1f", x, y))
	l.Dots = append(l.Dots, tick{X: x, Y: y})
}
