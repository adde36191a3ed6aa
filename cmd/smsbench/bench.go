package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

// smscSide counts what the built-in SMSC sees.
type smscSide struct {
	mu       sync.Mutex
	last     map[string]time.Time // destination → time of its latest submit
	first    time.Time
	lastAny  time.Time
	parts    int
	receipts atomic.Int64
}

func (s *smscSide) onSubmit(sub smsctest.Submit) {
	now := time.Now()
	s.mu.Lock()
	s.last[sub.Dest] = now
	if s.parts == 0 {
		s.first = now
	}
	s.lastAny = now
	s.parts++
	s.mu.Unlock()
}

// bench runs one load and gathers the figures.
func bench(ctx context.Context, opt options) (*result, error) {
	if opt.mode == "drain" {
		return drain(ctx, opt)
	}
	if opt.priorityProbe {
		return priorityProbe(ctx, opt)
	}
	side := &smscSide{last: map[string]time.Time{}}
	if opt.smscAddr != "" && opt.mode == "with" {
		srv, err := smsctest.Start(smsctest.Options{
			Addr: opt.smscAddr, Forget: true, OnSubmit: side.onSubmit,
			OnReceipt: func() { side.receipts.Add(1) }, ReceiptDelay: receiptDelay(opt),
		})
		if err != nil {
			return nil, fmt.Errorf("starting the SMSC: %w", err)
		}
		defer srv.Close()
		if err := waitBound(ctx, srv, len(opt.smtpAddrs)); err != nil {
			return nil, err
		}
	}
	cpu0, _ := readProcs(opt.pids)
	l := newLoader(opt)
	start := time.Now()
	l.run(ctx)
	sendTime := time.Since(start)
	if opt.smscAddr != "" && opt.mode == "with" {
		side.settle(ctx, l.accepted, opt.settle)
	}
	cpu1, procErr := readProcs(opt.pids)
	return newResult(opt, l, side, start, sendTime, cpu0, cpu1, procErr), nil
}

func receiptDelay(opt options) time.Duration {
	if opt.receipts {
		return time.Millisecond
	}
	return 0
}

// waitBound waits until the gateways have bound to the SMSC, at least
// one bind each, so their bind backoff does not count as latency.
func waitBound(ctx context.Context, srv *smsctest.Server, gateways int) error {
	deadline := time.Now().Add(30 * time.Second)
	for srv.Bound() < gateways {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d binds to the SMSC at %s within 30s, want one per gateway (%d): point their smpp transports there", srv.Bound(), srv.Addr(), gateways)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// settle waits until every accepted mail's numbers have reached the SMSC and
// nothing new came for half a second, or max has passed.
func (s *smscSide) settle(ctx context.Context, accepted []sent, max time.Duration) {
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		s.mu.Lock()
		quiet := time.Since(s.lastAny) > 500*time.Millisecond
		complete := true
		for _, a := range accepted {
			for _, n := range a.numbers {
				if _, ok := s.last[n]; !ok {
					complete = false
				}
			}
			if !complete {
				break
			}
		}
		s.mu.Unlock()
		if complete && quiet {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
