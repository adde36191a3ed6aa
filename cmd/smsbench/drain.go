package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

// drainResult is what -mode drain measured: how soon the queue flowed once
// the SMSC came back, and how fast it emptied.
type drainResult struct {
	Parts         int     `json:"sms_parts"`
	FirstSubmitMS float64 `json:"first_submit_ms"` // from the SMSC listening to its first submit_sm
	DrainSeconds  float64 `json:"drain_seconds"`
	PartsPerSec   float64 `json:"sms_parts_per_sec"`
	CPUSeconds    float64 `json:"gateway_cpu_seconds,omitempty"`
	PeakRSSMiB    float64 `json:"gateway_peak_rss_mib,omitempty"`
}

// drain starts the SMSC and waits until no submit came for two seconds (or
// -duration passed), for a gateway that queued mail while it was away.
func drain(ctx context.Context, opt options) (*result, error) {
	side := &smscSide{last: map[string]time.Time{}}
	cpu0, _ := readProcs(opt.pids)
	start := time.Now()
	srv, err := smsctest.Start(smsctest.Options{Addr: opt.smscAddr, Forget: true, OnSubmit: side.onSubmit})
	if err != nil {
		return nil, fmt.Errorf("starting the SMSC: %w", err)
	}
	defer srv.Close()
	deadline := start.Add(opt.duration)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		side.mu.Lock()
		idle := side.parts > 0 && time.Since(side.lastAny) > 2*time.Second
		side.mu.Unlock()
		if idle {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	cpu1, procErr := readProcs(opt.pids)
	side.mu.Lock()
	defer side.mu.Unlock()
	d := &drainResult{Parts: side.parts}
	if side.parts > 0 {
		d.FirstSubmitMS = float64(side.first.Sub(start)) / float64(time.Millisecond)
		d.DrainSeconds = side.lastAny.Sub(side.first).Seconds()
		if d.DrainSeconds > 0 {
			d.PartsPerSec = float64(side.parts) / d.DrainSeconds
		}
	}
	if procErr == nil {
		d.CPUSeconds = float64(cpu1.cpuTicks-cpu0.cpuTicks) / clockTicks
		d.PeakRSSMiB = float64(cpu1.peakRSS) / 1024
	}
	return &result{Drain: d, Options: "mode=drain"}, nil
}

func (d *drainResult) print(w io.Writer) {
	fmt.Fprintf(w, "drain:          %d parts; first submit %.0f ms after the SMSC came up; drained in %.2fs = %.0f parts/s\n",
		d.Parts, d.FirstSubmitMS, d.DrainSeconds, d.PartsPerSec)
	if d.PeakRSSMiB > 0 {
		fmt.Fprintf(w, "gateway:        CPU %.1fs, peak RSS %.1f MiB\n", d.CPUSeconds, d.PeakRSSMiB)
	}
}
