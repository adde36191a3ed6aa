package main

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// result is what one run measured; its JSON form is for scripts.
type result struct {
	Mails        int            `json:"mails_accepted"`
	Refused      map[string]int `json:"refused"`
	Errors       int            `json:"errors"`
	SendSeconds  float64        `json:"send_seconds"`
	MailsPerSec  float64        `json:"mails_per_sec"`
	Parts        int            `json:"sms_parts"`
	PartsPerSec  float64        `json:"sms_parts_per_sec"`
	Receipts     int64          `json:"receipts"`
	ReceiptsSec  float64        `json:"receipts_per_sec"`
	Missing      int            `json:"missing"` // accepted mails with no SMS at the SMSC
	LatencyP50ms float64        `json:"latency_p50_ms"`
	LatencyP99ms float64        `json:"latency_p99_ms"`
	LatencyMaxms float64        `json:"latency_max_ms"`
	Gateways     int            `json:"gateways"`      // SMTP addresses the mails went to in turn
	Processes    int            `json:"gateway_procs"` // processes whose CPU and RSS are summed
	CPUSeconds   float64        `json:"gateway_cpu_seconds,omitempty"`
	CPUPercent   float64        `json:"gateway_cpu_percent,omitempty"`
	CPUPerMailms float64        `json:"gateway_cpu_ms_per_mail,omitempty"`
	PeakRSSMiB   float64        `json:"gateway_peak_rss_mib,omitempty"`
	Options      string         `json:"options"`
	Drain        *drainResult   `json:"drain,omitempty"`
	Probe        *probeResult   `json:"priority_probe,omitempty"`
}

func newResult(opt options, l *loader, s *smscSide, start time.Time, send time.Duration, cpu0, cpu1 procStat, procErr error) *result {
	r := &result{Mails: len(l.accepted), Refused: l.refused, Errors: l.errors, SendSeconds: send.Seconds(),
		Gateways: len(opt.smtpAddrs), Processes: len(opt.pids),
		Options: fmt.Sprintf("mode=%s c=%d n=%d size=%d rcpts=%d reuse=%v pipelining=%v rate=%g receipts=%v", opt.mode, opt.conc, opt.mails, opt.size, opt.rcpts, opt.reuse, opt.pipeline, opt.rate, opt.receipts)}
	r.MailsPerSec = float64(r.Mails) / send.Seconds()
	s.mu.Lock()
	defer s.mu.Unlock()
	r.Parts = s.parts
	if span := s.lastAny.Sub(start).Seconds(); s.parts > 0 && span > 0 {
		r.PartsPerSec = float64(s.parts) / span
		r.Receipts = s.receipts.Load()
		r.ReceiptsSec = float64(r.Receipts) / span
	}
	var lat []float64
	for _, a := range l.accepted {
		var last time.Time
		for _, n := range a.numbers {
			if t, ok := s.last[n]; ok && t.After(last) {
				last = t
			}
		}
		if last.IsZero() {
			r.Missing++
			continue
		}
		lat = append(lat, float64(last.Sub(a.dataEnd))/float64(time.Millisecond))
	}
	if opt.smscAddr == "" || opt.mode != "with" {
		r.Missing = 0
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		r.LatencyP50ms = lat[len(lat)/2]
		r.LatencyP99ms = lat[min(len(lat)-1, len(lat)*99/100)]
		r.LatencyMaxms = lat[len(lat)-1]
	}
	if procErr == nil {
		r.CPUSeconds = float64(cpu1.cpuTicks-cpu0.cpuTicks) / clockTicks
		wall := send.Seconds()
		if s.parts > 0 {
			wall = max(wall, s.lastAny.Sub(start).Seconds())
		}
		r.CPUPercent = 100 * r.CPUSeconds / wall
		if r.Mails > 0 {
			r.CPUPerMailms = 1000 * r.CPUSeconds / float64(r.Mails)
		}
		r.PeakRSSMiB = float64(cpu1.peakRSS) / 1024
	}
	return r
}

func (r *result) print(w io.Writer) {
	if r.Drain != nil {
		r.Drain.print(w)
		return
	}
	if r.Probe != nil {
		fmt.Fprintf(w, "options:        %s\n", r.Options)
		r.Probe.print(w)
		return
	}
	fmt.Fprintf(w, "options:        %s\n", r.Options)
	if r.Gateways > 1 {
		fmt.Fprintf(w, "gateways:       %d, the mails sent to each in turn\n", r.Gateways)
	}
	fmt.Fprintf(w, "mails accepted: %d in %.2fs = %.0f mails/s (refused %v, errors %d)\n", r.Mails, r.SendSeconds, r.MailsPerSec, r.Refused, r.Errors)
	fmt.Fprintf(w, "SMS at SMSC:    %d parts = %.0f parts/s; receipts %d = %.0f/s; missing %d\n", r.Parts, r.PartsPerSec, r.Receipts, r.ReceiptsSec, r.Missing)
	fmt.Fprintf(w, "latency:        end of DATA → last submit_sm: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", r.LatencyP50ms, r.LatencyP99ms, r.LatencyMaxms)
	if r.PeakRSSMiB > 0 {
		summed := ""
		if r.Processes > 1 {
			summed = fmt.Sprintf(" (summed over %d processes)", r.Processes)
		}
		fmt.Fprintf(w, "gateway:        CPU %.1fs (%.0f%% of one core, %.2f ms per mail), peak RSS %.1f MiB%s\n",
			r.CPUSeconds, r.CPUPercent, r.CPUPerMailms, r.PeakRSSMiB, summed)
	}
}
