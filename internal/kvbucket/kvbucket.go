// Package kvbucket creates JetStream key-value buckets the way a cluster
// of gateways starting together needs: each request bounded and sent
// again, until the cluster can place the bucket's replicas.
package kvbucket

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// attempt bounds one create request; one that is answered comes back
// within milliseconds.
const attempt = 2 * time.Second

// retryEvery is the pause between attempts.
const retryEvery = 250 * time.Millisecond

// noSuitablePeers is the server's error code (JSClusterNoPeersErrF) for a
// stream it cannot place: too few servers, or some not yet known.
const noSuitablePeers jetstream.ErrorCode = 10005

// Open creates the bucket cfg describes, or updates it to cfg, trying
// again until ctx ends while the cluster cannot place its replicas yet
// (just after a leader is elected, the other servers may not be known for
// a second or two) or a request goes unanswered (gateways starting
// together create a bucket at the same time, and the server answers none
// of those requests; the next attempt finds it).
func Open(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	for {
		try, cancel := context.WithTimeout(ctx, attempt)
		kv, err := js.CreateOrUpdateKeyValue(try, cfg)
		cancel()
		if err == nil {
			return kv, nil
		}
		if !retryable(err) || ctx.Err() != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("bucket %s: %w (last: %w)", cfg.Bucket, ctx.Err(), err)
			}
			return nil, fmt.Errorf("bucket %s: %w", cfg.Bucket, err)
		}
		t := time.NewTimer(retryEvery)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("bucket %s: %w (last: %w)", cfg.Bucket, ctx.Err(), err)
		}
	}
}

// retryable tells a failure the next attempt may not have: replicas the
// cluster cannot place yet, or a request not answered in time.
func retryable(err error) bool {
	var apiErr *jetstream.APIError
	return (errors.As(err, &apiErr) && apiErr.ErrorCode == noSuitablePeers) || errors.Is(err, context.DeadlineExceeded)
}
