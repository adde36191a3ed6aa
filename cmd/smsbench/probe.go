package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

// probeResult is what -priority-probe measured: how fast a bulk backlog
// drained, and how long urgent mails sent meanwhile took to reach the SMSC.
type probeResult struct {
	BacklogParts  int     `json:"backlog_parts"`
	FillSeconds   float64 `json:"fill_seconds"`
	DrainSeconds  float64 `json:"drain_seconds"`
	DrainPerSec   float64 `json:"drain_parts_per_sec"`
	ProbeRate     float64 `json:"probe_mails_per_sec"`
	Urgent        int     `json:"urgent_mails"`
	UrgentMissing int     `json:"urgent_missing"`
	UrgentP50ms   float64 `json:"urgent_p50_ms"`
	UrgentP99ms   float64 `json:"urgent_p99_ms"`
	UrgentMaxms   float64 `json:"urgent_max_ms"`
}

// Urgent probe mails go to numbers of their own, so the SMSC side tells
// them from the backlog.
const urgentPrefix = "1416"

func urgentNumber(i int) string { return fmt.Sprintf("%s%07d", urgentPrefix, i%10000000) }

// probeSide is the SMSC's view during a probe.
type probeSide struct {
	mu          sync.Mutex
	first, last time.Time // of the backlog's submits
	bulk        int
	urgent      map[string]time.Time // destination → its first submit
}

func (p *probeSide) onSubmit(sub smsctest.Submit) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if strings.HasPrefix(sub.Dest, urgentPrefix) {
		if _, ok := p.urgent[sub.Dest]; !ok {
			p.urgent[sub.Dest] = now
		}
		return
	}
	if p.bulk == 0 {
		p.first = now
	}
	p.last = now
	p.bulk++
}

// priorityProbe queues -n bulk mails of -rcpts numbers while no SMSC is
// up, starts the SMSC, and while the backlog drains sends urgent mails at
// -probe-rate (0: none, the drain alone), until the whole backlog reached
// the SMSC, nothing came for two seconds or -duration passed.
func priorityProbe(ctx context.Context, opt options) (*result, error) {
	fillStart := time.Now()
	l := newLoader(opt)
	l.body = []byte("From: news@example.com\r\nSubject: offer\r\nPrecedence: bulk\r\n\r\n" + benchText(opt.size) + "\r\n")
	l.run(ctx)
	fill := time.Since(fillStart)
	backlog := 0
	for _, s := range l.accepted {
		backlog += len(s.numbers)
	}
	if backlog == 0 {
		return nil, fmt.Errorf("no bulk mail was accepted (errors %d, refused %v)", l.errors, l.refused)
	}

	side := &probeSide{urgent: map[string]time.Time{}}
	srv, err := smsctest.Start(smsctest.Options{Addr: opt.smscAddr, Forget: true, OnSubmit: side.onSubmit})
	if err != nil {
		return nil, fmt.Errorf("starting the SMSC: %w", err)
	}
	defer srv.Close()
	if err := waitBound(ctx, srv, len(opt.smtpAddrs)); err != nil {
		return nil, err
	}
	pctx, stopProbe := context.WithCancel(ctx)
	var probes []sent
	var wg sync.WaitGroup
	if opt.probeRate > 0 {
		wg.Go(func() { probes = sendUrgent(pctx, opt) })
	}
	deadline := time.Now().Add(opt.duration)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		side.mu.Lock()
		idle := side.bulk >= backlog || (side.bulk > 0 && time.Since(side.last) > 2*time.Second)
		side.mu.Unlock()
		if idle {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	stopProbe()
	wg.Wait()
	time.Sleep(500 * time.Millisecond) // the last probes' submits
	return &result{Probe: side.result(backlog, fill, opt.probeRate, probes),
		Options: fmt.Sprintf("priority-probe n=%d rcpts=%d probe-rate=%g", opt.mails, opt.rcpts, opt.probeRate)}, nil
}

// sendUrgent sends one urgent mail at a time, at rate per second, until ctx ends.
func sendUrgent(ctx context.Context, opt options) []sent {
	lim := rate.NewLimiter(rate.Limit(opt.probeRate), 1)
	body := []byte("From: monitor@example.com\r\nSubject: login code\r\nX-Priority: 1\r\nImportance: high\r\n\r\nyour code is 493021\r\n")
	var out []sent
	for i := 0; lim.Wait(ctx) == nil; i++ {
		c, err := dialClient(ctx, opt.smtpAddrs[i%len(opt.smtpAddrs)], opt.pipeline)
		if err != nil {
			continue
		}
		s := sent{numbers: []string{urgentNumber(i)}}
		accepted, _, err := c.transaction("monitor@example.com", []string{urgentNumber(i) + "@" + opt.domain}, body, func() { s.dataEnd = time.Now() }, true)
		if err == nil && len(accepted) == 1 {
			out = append(out, s)
		}
		c.quit()
	}
	return out
}

func (p *probeSide) result(backlog int, fill time.Duration, probeRate float64, probes []sent) *probeResult {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := &probeResult{BacklogParts: backlog, FillSeconds: fill.Seconds(), ProbeRate: probeRate, Urgent: len(probes)}
	if p.bulk > 0 {
		r.DrainSeconds = p.last.Sub(p.first).Seconds()
		if r.DrainSeconds > 0 {
			r.DrainPerSec = float64(p.bulk) / r.DrainSeconds
		}
	}
	var lat []float64
	for _, s := range probes {
		at, ok := p.urgent[s.numbers[0]]
		if !ok {
			r.UrgentMissing++
			continue
		}
		lat = append(lat, float64(at.Sub(s.dataEnd))/float64(time.Millisecond))
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		r.UrgentP50ms = lat[len(lat)/2]
		r.UrgentP99ms = lat[min(len(lat)-1, len(lat)*99/100)]
		r.UrgentMaxms = lat[len(lat)-1]
	}
	return r
}

func (r *probeResult) print(w io.Writer) {
	fmt.Fprintf(w, "backlog:        %d bulk parts queued in %.1fs; drained in %.2fs = %.0f parts/s\n",
		r.BacklogParts, r.FillSeconds, r.DrainSeconds, r.DrainPerSec)
	if r.ProbeRate > 0 {
		fmt.Fprintf(w, "urgent probe:   %d mails at %g/s; end of DATA → submit_sm: p50 %.1f ms, p99 %.1f ms, max %.1f ms; missing %d\n",
			r.Urgent, r.ProbeRate, r.UrgentP50ms, r.UrgentP99ms, r.UrgentMaxms, r.UrgentMissing)
	}
}
