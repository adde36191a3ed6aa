package console

import (
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/metrics"
)

func TestTrafficCharts(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	minutes := make([]metrics.Minute, 60)
	for i := range minutes {
		minutes[i].Start = start.Add(time.Duration(i) * time.Minute)
	}
	minutes[10] = metrics.Minute{Start: minutes[10].Start, Submitted: 8, Failed: 2, Took: 8 * 40 * time.Millisecond, Waited: 8 * 3 * time.Second}
	minutes[59] = metrics.Minute{Start: minutes[59].Start, Submitted: 4, Took: 4 * 20 * time.Millisecond, Waited: 4 * time.Second}
	th, lat := trafficCharts(minutes)
	if th.Empty || lat.Empty || len(th.Bars) != 3 {
		t.Fatalf("throughput %+v", th.Bars)
	}
	base := float64(chartH - chartBottom)
	sent, failed := th.Bars[0], th.Bars[1]
	// The top is 10 a minute: 8 sent fill most of the height, 2 failed sit on them.
	if sent.Class != "sent" || failed.Class != "failed" || failed.Y+failed.H != sent.Y || sent.Y+sent.H != base {
		t.Errorf("stacked bars: %+v %+v", sent, failed)
	}
	if r := failed.H / sent.H; r < 0.24 || r > 0.26 {
		t.Errorf("failed/sent height = %.2f, want 0.25", r)
	}
	if got := th.YTicks[2].Label; got != "10/min" {
		t.Errorf("top label %q", got)
	}
	if len(th.XTicks) != 4 || th.XTicks[0].Label != "12:00" {
		t.Errorf("time ticks %+v", th.XTicks)
	}
	took, waited := lat.Lines[1], lat.Lines[0]
	if len(took.Dots) != 2 || len(waited.Dots) != 2 || strings.Count(took.Points, ",") != 2 {
		t.Fatalf("lines %+v", lat.Lines)
	}
	// Waits of 3s and 1s under a top of 5s.
	if got := lat.YTicks[2].Label; got != "5s" {
		t.Errorf("latency top %q", got)
	}
	if y := waited.Dots[0].Y; y > base-0.5*(base-8)-1 || y < base-0.7*(base-8) {
		t.Errorf("3s of 5s drawn at y=%.1f", y)
	}
	if empty, _ := trafficCharts(make([]metrics.Minute, 60)); !empty.Empty || len(empty.Bars) != 0 {
		t.Errorf("no traffic: %+v", empty)
	}
}

func TestNiceTop(t *testing.T) {
	for v, want := range map[float64]float64{0: 1, 1: 1, 3: 5, 7: 10, 10: 10, 11: 20, 140: 200, 0.3: 0.5} {
		if got := niceTop(v); got != want {
			t.Errorf("niceTop(%v) = %v, want %v", v, got, want)
		}
	}
}
