package cluster

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/smsbridge/smsbridge/configs"
)

// Reconnect pauses: doubling from reconnectFloor to reconnectCeiling, with
// a fifth of jitter so gateways do not come back in step.
const (
	reconnectFloor   = 250 * time.Millisecond
	reconnectCeiling = 10 * time.Second
)

// Connect reaches an existing NATS cluster ([nats]): its urls, with the
// creds file or nkey seed file, and TLS (servers checked against tls_ca, a
// client certificate when set). Once connected, it reconnects forever with
// backoff. It tries until the first connection succeeds, a server refuses
// the credentials, or ctx ends.
func Connect(ctx context.Context, cfg *configs.NATS) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name("smsbridge " + cfg.Instance),
		nats.MaxReconnects(-1),
		nats.CustomReconnectDelay(reconnectDelay),
	}
	switch {
	case cfg.CredsFile != "":
		opts = append(opts, nats.UserCredentials(cfg.CredsFile))
	case cfg.NKeyFile != "":
		o, err := nats.NkeyOptionFromSeed(cfg.NKeyFile)
		if err != nil {
			return nil, fmt.Errorf("cluster: nkey_file: %w", err)
		}
		opts = append(opts, o)
	}
	if cfg.TLSCA != "" {
		opts = append(opts, nats.RootCAs(cfg.TLSCA))
	}
	if cfg.TLSCert != "" {
		opts = append(opts, nats.ClientCert(cfg.TLSCert, cfg.TLSKey))
	}
	server := strings.Join(cfg.ClientURLs(), ",")
	for attempt := 1; ; attempt++ {
		nc, err := nats.Connect(server, opts...)
		if err == nil {
			return nc, nil
		}
		if errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) || errors.Is(err, nats.ErrAuthRevoked) {
			return nil, fmt.Errorf("cluster: connect to %s: %w", server, err)
		}
		t := time.NewTimer(reconnectDelay(attempt))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("cluster: connect to %s: %w (last: %w)", server, ctx.Err(), err)
		}
	}
}

// reconnectDelay is the pause before attempt n (1, 2, ...).
func reconnectDelay(n int) time.Duration {
	d := reconnectCeiling
	if n < 16 {
		d = min(reconnectFloor<<max(n-1, 0), reconnectCeiling)
	}
	return d - time.Duration(rand.Float64()*0.2*float64(d))
}

// WaitJetStream waits until JetStream answers (its meta leader is
// elected and the account can use it), trying again until ctx ends.
func WaitJetStream(ctx context.Context, js jetstream.JetStream) error {
	for attempt := 1; ; attempt++ {
		// Without a leader the request goes unanswered: ask again often.
		try, cancel := context.WithTimeout(ctx, time.Second)
		_, err := js.AccountInfo(try)
		cancel()
		if err == nil {
			return nil
		}
		t := time.NewTimer(min(reconnectDelay(attempt), time.Second))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("cluster: waiting for JetStream: %w (last: %w)", ctx.Err(), err)
		}
	}
}
