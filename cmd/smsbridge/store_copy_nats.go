package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/store/natsstore"
)

// copyInstance is the instance name the copy works under: it holds no
// leases a gateway would wait for, and its liveness record goes at Close.
const copyInstance = "smsbridge-store-copy"

// natsCopyStore is a JetStream queue opened for a copy, with the
// connection it closes after it.
type natsCopyStore struct {
	*natsstore.Store
	nc *nats.Conn
}

func (s natsCopyStore) Close() error {
	err := s.Store.Close()
	s.nc.Close()
	return err
}

// openNATSCopy opens the queue's bucket on a NATS server: location is its
// URL, with optional query settings prefix (default "sb"), replicas
// (default 3, as a cluster's gateways create it) and creds (a credentials
// file). The gateways should be stopped: an instance running meanwhile
// would send what is being copied.
func openNATSCopy(ctx context.Context, location string, source bool) (copyStore, error) {
	u, err := url.Parse(location)
	if err != nil || u.Host == "" {
		return nil, usageError{fmt.Errorf("nats:%s: want nats:nats://HOST:PORT[?prefix=P&replicas=N&creds=FILE]", location)}
	}
	q := u.Query()
	u.RawQuery = ""
	prefix := q.Get("prefix")
	if prefix == "" {
		prefix = configs.DefaultNATSPrefix
	}
	replicas := 3
	if r := q.Get("replicas"); r != "" {
		if replicas, err = strconv.Atoi(r); err != nil || replicas < 1 || replicas > 5 {
			return nil, usageError{fmt.Errorf("nats:%s: replicas must be 1 to 5", location)}
		}
	}
	opts := []nats.Option{nats.Name("smsbridge store copy")}
	if creds := q.Get("creds"); creds != "" {
		opts = append(opts, nats.UserCredentials(creds))
	}
	nc, err := nats.Connect(u.String(), opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", u.Redacted(), err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("JetStream on %s: %w", u.Redacted(), err)
	}
	if source {
		// Opening creates the bucket; a source must have one already.
		if _, err := js.KeyValue(ctx, prefix+"_Q"); err != nil {
			nc.Close()
			if errors.Is(err, jetstream.ErrBucketNotFound) {
				return nil, fmt.Errorf("source %s: no queue bucket %s_Q", u.Redacted(), prefix)
			}
			return nil, fmt.Errorf("source %s: %w", u.Redacted(), err)
		}
	}
	st, err := natsstore.Open(ctx, js, natsstore.Options{Prefix: prefix, Instance: copyInstance, Replicas: replicas, Logger: quietLogger()})
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("opening the queue on %s: %w", u.Redacted(), err)
	}
	return natsCopyStore{st, nc}, nil
}
