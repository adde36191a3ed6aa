package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/smsbridge/smsbridge/api"
	"github.com/smsbridge/smsbridge/cluster"
	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/store/natsstore"
	"github.com/smsbridge/smsbridge/transport/smpp"
)

// How long serve waits for a JetStream cluster to elect its leader and
// take the queue's bucket: the other nodes may still be starting.
const clusterStartWait = 2 * time.Minute

// clusterStateEvery is how often serve looks at the cluster's state and
// logs it when it changed or a replica lags.
const clusterStateEvery = 30 * time.Second

// openedStore is the store serve runs on and what backs it: for the nats
// backend the embedded node or the connection, the instances' presence
// and the SMPP bind leases. Close stops them in order.
type openedStore struct {
	gatewayStore
	leases   *cluster.BindLeases // nil for bbolt
	instance string              // this gateway's name in the cluster; "" for bbolt
	stop     func()
}

// bindLeases is what the SMPP transports share their binds by; nil
// (not a nil pointer) when the gateway runs alone.
func (o *openedStore) bindLeases() smpp.BindLeases {
	if o.leases == nil {
		return nil
	}
	return o.leases
}

// bindHolders is what the API lists the binds' holders from; nil when the
// gateway runs alone.
func (o *openedStore) bindHolders() api.BindHolders {
	if o.leases == nil {
		return nil
	}
	return o.leases
}

// Close closes the store, then what backs it.
func (o *openedStore) Close() error {
	err := o.gatewayStore.Close()
	if o.stop != nil {
		o.stop()
	}
	return err
}

// openStore opens the backend [store] names.
func openStore(ctx context.Context, cfg *configs.Config, log *slog.Logger) (*openedStore, error) {
	if cfg.Store.Backend != configs.BackendNATS {
		st, err := store.Open(cfg.Store.Path, store.Options{Timeout: 5 * time.Second, Logger: log})
		if err != nil {
			return nil, err
		}
		return &openedStore{gatewayStore: st}, nil
	}
	return openNATSStore(ctx, cfg, log)
}

// openNATSStore starts the embedded JetStream node ([cluster]) or connects
// to a NATS cluster ([nats]), then opens the queue's bucket on it.
func openNATSStore(ctx context.Context, cfg *configs.Config, log *slog.Logger) (_ *openedStore, err error) {
	opt, _ := cluster.OptionsFor(cfg, log)
	var stops []func()
	stopAll := func() {
		for _, s := range slices.Backward(stops) {
			s()
		}
	}
	defer func() {
		if err != nil {
			stopAll()
		}
	}()
	var nc *nats.Conn
	var node *cluster.Node
	if cfg.Cluster != nil {
		if node, err = cluster.StartNode(ctx, cfg.Cluster, log); err != nil {
			return nil, fmt.Errorf("starting the JetStream node: %w", err)
		}
		stops = append(stops, func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := node.Shutdown(sctx); err != nil {
				log.Warn("JetStream node shutdown", "err", err)
			}
		})
		nc = node.Conn()
		log.Info("JetStream node started", "cluster", cfg.Cluster.Name, "instance", opt.Instance,
			"routes", node.RouteAddr(), "clients", node.ClientURL(), "peers", strings.Join(cfg.Cluster.Peers, " "))
	} else {
		if nc, err = cluster.Connect(ctx, cfg.NATS); err != nil {
			return nil, fmt.Errorf("connecting to NATS: %w", err)
		}
		stops = append(stops, nc.Close)
		log.Info("connected to NATS", "server", nc.ConnectedUrlRedacted(), "instance", opt.Instance)
	}
	for _, w := range cfg.Warnings() {
		log.Warn(w)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("JetStream: %w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, clusterStartWait)
	defer cancel()
	if err := cluster.WaitJetStream(wctx, js); err != nil {
		return nil, fmt.Errorf("waiting for JetStream's leader: %w", err)
	}
	st, err := openBucket(wctx, js, natsstore.Options{Prefix: opt.Prefix, Instance: opt.Instance, Replicas: opt.Replicas,
		LeaseTTL: opt.TTL, Logger: log}, log)
	if err != nil {
		return nil, err
	}
	presence, err := cluster.NewPresence(wctx, js, opt)
	if err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("instance presence: %w", err)
	}
	leases, err := cluster.NewBindLeases(wctx, js, presence, opt)
	if err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("SMPP bind leases: %w", err)
	}
	rctx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	var running sync.WaitGroup
	running.Go(func() { logRunError(log, "instance presence", presence.Run(rctx)) })
	running.Go(func() { logRunError(log, "SMPP bind leases", leases.Run(rctx)) })
	running.Go(func() { watchCluster(rctx, js, node, "KV_"+opt.Prefix+"_Q", log) })
	stops = append(stops, func() { stopRun(); running.Wait() })
	log.Info("store on JetStream", "bucket", opt.Prefix+"_Q", "replicas", opt.Replicas, "lease_ttl", opt.TTL)
	return &openedStore{gatewayStore: st, leases: leases, instance: opt.Instance, stop: stopAll}, nil
}

// openBucket opens the queue's bucket, again while the cluster cannot
// place its replicas yet: just after a leader is elected, the other nodes
// may not have joined.
func openBucket(ctx context.Context, js jetstream.JetStream, opt natsstore.Options, log *slog.Logger) (*natsstore.Store, error) {
	for wait := 250 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		octx, cancel := context.WithTimeout(ctx, 10*time.Second)
		st, err := natsstore.Open(octx, js, opt)
		cancel()
		if err == nil {
			return st, nil
		}
		log.Warn("opening the queue's bucket; trying again", "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("opening the queue's bucket: %w", err)
		case <-time.After(wait):
		}
	}
}

func logRunError(log *slog.Logger, what string, err error) {
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Error(what+" stopped", "err", err)
	}
}

// watchCluster logs the cluster's state at start and whenever its leader
// or its members change, and while a replica lags or is offline. The
// embedded node sees the meta group; a [nats] client sees the queue's
// stream.
func watchCluster(ctx context.Context, js jetstream.JetStream, node *cluster.Node, stream string, log *slog.Logger) {
	var last string
	tick := time.NewTicker(clusterStateEvery)
	defer tick.Stop()
	for {
		var st cluster.State
		var err error
		if node != nil {
			st, err = node.State()
		} else {
			sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			st, err = cluster.StreamState(sctx, js, stream)
			cancel()
		}
		now, lagging := describeCluster(st, err)
		if now != last || lagging {
			level := slog.LevelInfo
			if err != nil || lagging {
				level = slog.LevelWarn
			}
			log.Log(ctx, level, "cluster state", "state", now)
			last = now
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// describeCluster writes a state in one line, and whether a member is
// behind or offline.
func describeCluster(st cluster.State, err error) (string, bool) {
	if err != nil {
		return "unknown: " + err.Error(), true
	}
	var b strings.Builder
	fmt.Fprintf(&b, "cluster %s, leader %s", st.Cluster, st.Leader)
	lagging := false
	for _, p := range st.Peers {
		switch {
		case p.Offline:
			fmt.Fprintf(&b, ", %s offline", p.Name)
			lagging = true
		case p.Lag > 0:
			fmt.Fprintf(&b, ", %s %d behind", p.Name, p.Lag)
			lagging = true
		default:
			fmt.Fprintf(&b, ", %s", p.Name)
		}
	}
	return b.String(), lagging
}
