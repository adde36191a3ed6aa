package smpp

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// BindLeases shares an SMSC account's binds among gateways: bind slot i
// (0 to binds-1) of the account named transport is opened only while this
// gateway holds its lease.
type BindLeases interface {
	// Acquire waits until this gateway holds the slot, or ctx ends. The
	// channel is closed when the lease is lost: the bind must close.
	Acquire(ctx context.Context, transport string, slot, binds int) (lost <-chan struct{}, err error)
	// Release gives the slot back once its bind is closed.
	Release(transport string, slot int)
}

// leasedBind keeps bind slot idx (each of its kinds' connections) open
// while its lease is held: it waits for the lease, binds, unbinds when the
// lease is lost, and waits for the lease again, until ctx is done.
func (t *Transport) leasedBind(ctx context.Context, idx int) {
	log := t.log.With("bind", idx)
	for ctx.Err() == nil {
		lost, err := t.cfg.Leases.Acquire(ctx, t.cfg.Name, idx, t.cfg.Binds)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("smpp: bind lease not acquired; trying again", "err", err, "retry_in", t.minBackoff)
				sleep(ctx, t.minBackoff)
			}
			continue
		}
		log.Info("smpp: bind lease held; binding")
		bctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for _, k := range t.kinds {
			wg.Go(func() { t.bindLoop(bctx, idx, k) })
		}
		select {
		case <-lost:
			log.Warn("smpp: bind lease lost; unbinding")
		case <-ctx.Done():
		}
		cancel()
		wg.Wait()
		t.cfg.Leases.Release(t.cfg.Name, idx)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
}

// bindLimiter paces one bind to its part of the account's rate when the
// binds are shared by leases: Rate / Binds a second, so that all the
// gateways' binds together stay within Rate. Nil means no pacing here
// (without leases the dispatcher paces the whole transport).
func (t *Transport) bindLimiter() *rate.Limiter {
	if t.cfg.Leases == nil || t.cfg.Rate <= 0 {
		return nil
	}
	return rate.NewLimiter(rate.Limit(t.cfg.Rate/float64(t.cfg.Binds)), 1)
}
