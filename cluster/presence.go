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
)

// bucket creates or updates one of the buckets, with the TTL as the
// server's backstop for entries nobody removed.
func bucket(ctx context.Context, js jetstream.JetStream, o Options, name string) (jetstream.KeyValue, error) {
	cfg := jetstream.KeyValueConfig{
		Bucket:   o.Prefix + "_" + name,
		History:  1,
		TTL:      o.TTL,
		Replicas: o.Replicas,
		Storage:  jetstream.FileStorage,
	}
	for {
		// Gateways starting together create the bucket at the same
		// time, and the server answers none of those requests: each
		// attempt is bounded, and the next one finds the bucket.
		try, cancel := context.WithTimeout(ctx, createAttempt)
		kv, err := js.CreateOrUpdateKeyValue(try, cfg)
		cancel()
		if err == nil {
			return kv, nil
		}
		if !IsNoSuitablePeers(err) && (ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded)) {
			return nil, fmt.Errorf("cluster: bucket %s: %w", cfg.Bucket, err)
		}
		t := time.NewTimer(250 * time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("cluster: bucket %s: %w (last: %w)", cfg.Bucket, ctx.Err(), err)
		}
	}
}

// createAttempt bounds one request to create a bucket; one that is
// answered comes back within milliseconds.
const createAttempt = 2 * time.Second

// noSuitablePeers is the server's error code (JSClusterNoPeersErrF) for a
// stream it cannot place: too few servers, or some not yet known.
const noSuitablePeers jetstream.ErrorCode = 10005

// IsNoSuitablePeers tells the error of a replicated stream or bucket the
// cluster cannot place yet. Just after the meta leader is elected
// (WaitJetStream), the leader may not know the other servers for a second
// or two: creating the stream again then succeeds.
func IsNoSuitablePeers(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == noSuitablePeers
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
