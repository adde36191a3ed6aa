package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/smsbridge/smsbridge/internal/kvbucket"
)

// bucket creates or updates one of the buckets, with the TTL as the
// server's backstop for entries nobody removed.
func bucket(ctx context.Context, js jetstream.JetStream, o Options, name string) (jetstream.KeyValue, error) {
	kv, err := kvbucket.Open(ctx, js, jetstream.KeyValueConfig{
		Bucket:   o.Prefix + "_" + name,
		History:  1,
		TTL:      o.TTL,
		Replicas: o.Replicas,
		Storage:  jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	return kv, nil
}

// Presence announces this gateway in the bucket <prefix>_NODES and tells
// which gateways are live: those whose announcement arrived here within
// the TTL, by this host's clock.
type Presence struct {
	kv  jetstream.KeyValue
	opt Options
	log *slog.Logger

	mu   sync.Mutex
	seen map[string]time.Time // instance → when its last announcement arrived here
}

// NewPresence opens the bucket; Run announces and watches.
func NewPresence(ctx context.Context, js jetstream.JetStream, opt Options) (*Presence, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	kv, err := bucket(ctx, js, opt, "NODES")
	if err != nil {
		return nil, err
	}
	return &Presence{kv: kv, opt: opt, log: opt.Logger.With("component", "presence", "instance", opt.Instance),
		seen: map[string]time.Time{}}, nil
}

// Run announces this gateway every third of the TTL and follows the
// others' announcements until ctx ends; then it removes its own entry, so
// the others see it gone at once.
func (p *Presence) Run(ctx context.Context) error {
	w, err := p.kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("cluster: watching %s: %w", p.kv.Bucket(), err)
	}
	defer w.Stop()
	p.announce(ctx)
	tick := time.NewTicker(p.opt.TTL / 3)
	defer tick.Stop()
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return p.leave(errors.New("cluster: presence watch ended"))
			}
			p.note(e)
		case <-tick.C:
			p.announce(ctx)
		case <-ctx.Done():
			return p.leave(nil)
		}
	}
}

func (p *Presence) announce(ctx context.Context) {
	if _, err := p.kv.PutString(ctx, p.opt.Instance, time.Now().UTC().Format(time.RFC3339)); err != nil && ctx.Err() == nil {
		p.log.Warn("cluster: presence not renewed", "err", err)
	}
}

// note records an announcement or a departure; nil marks the end of the
// entries that were there when the watch began.
func (p *Presence) note(e jetstream.KeyValueEntry) {
	if e == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e.Operation() {
	case jetstream.KeyValuePut:
		if _, known := p.seen[e.Key()]; !known && e.Key() != p.opt.Instance {
			p.log.Info("cluster: gateway joined", "peer", e.Key())
		}
		p.seen[e.Key()] = time.Now()
	default:
		delete(p.seen, e.Key())
		p.log.Info("cluster: gateway left", "peer", e.Key())
	}
}

func (p *Presence) leave(err error) error {
	ctx, cancel := context.WithTimeout(context.Background(), p.opt.TTL/3)
	defer cancel()
	if derr := p.kv.Delete(ctx, p.opt.Instance); derr != nil {
		p.log.Warn("cluster: presence not removed; it lapses after the TTL", "err", derr)
	}
	return err
}

// Live lists the gateways announced within the TTL, sorted.
func (p *Presence) Live() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for name, at := range p.seen {
		if time.Since(at) < p.opt.TTL {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
