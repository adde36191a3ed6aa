package cluster

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/smsbridge/smsbridge/configs"
)

// Options name the buckets of presence and bind leases and time them.
type Options struct {
	Prefix   string        // buckets <Prefix>_NODES and <Prefix>_BINDS
	Instance string        // this gateway; stable across restarts
	Replicas int           // copies of each bucket
	TTL      time.Duration // an entry not renewed this long is gone; renewed every third of it
	Logger   *slog.Logger
}

func (o *Options) check() error {
	if o.Prefix == "" || o.Instance == "" || o.Replicas < 1 || o.TTL <= 0 {
		return fmt.Errorf("cluster: options need a prefix, an instance, replicas and a TTL: %+v", *o)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return nil
}

// OptionsFor are the presence and lease options of cfg's [cluster] (bucket
// prefix configs.DefaultNATSPrefix) or [nats]; false when it has neither.
func OptionsFor(cfg *configs.Config, log *slog.Logger) (Options, bool) {
	switch {
	case cfg.Cluster != nil:
		c := cfg.Cluster
		return Options{Prefix: configs.DefaultNATSPrefix, Instance: c.Instance, Replicas: c.Replicas, TTL: c.LeaseTTL.Duration, Logger: log}, true
	case cfg.NATS != nil:
		n := cfg.NATS
		return Options{Prefix: n.Prefix, Instance: n.Instance, Replicas: n.Replicas, TTL: n.LeaseTTL.Duration, Logger: log}, true
	}
	return Options{}, false
}
