package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/smsbridge/smsbridge/api"
	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/store"
)

// lockWait is how long the tools wait for the store's lock before deciding
// that a running daemon holds it.
const lockWait = 300 * time.Millisecond

// errDaemonHolds: a running smsbridge has the store open.
var errDaemonHolds = errors.New("the store is held by a running smsbridge")

// openStoreOrDaemon opens the store for a tool, or says that the daemon
// holds it (errDaemonHolds) so the tool talks to its API instead.
func openStoreOrDaemon(cfg *configs.Config) (*store.DB, error) {
	if cfg.Store.Backend == configs.BackendNATS {
		// Shared by the gateways of a cluster, whose leases and views
		// only a running instance has: tools go through its API.
		return nil, fmt.Errorf("the queue is on NATS JetStream, used through a running smsbridge: %w", errDaemonHolds)
	}
	st, err := store.Open(cfg.Store.Path, store.Options{Timeout: lockWait, Logger: quietLogger()})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, errDaemonHolds
	}
	return st, err
}

// daemonClient calls the running daemon's API.
type daemonClient struct {
	base  string
	token string
	http  *http.Client
}

func newDaemonClient(cfg *configs.Config) (*daemonClient, error) {
	if cfg.HTTP.Listen == "" {
		return nil, fmt.Errorf("%w, and its HTTP API is off ([http] listen is empty): stop it or turn the API on", errDaemonHolds)
	}
	host, port, err := net.SplitHostPort(cfg.HTTP.Listen)
	if err != nil {
		return nil, fmt.Errorf("http.listen %q: %w", cfg.HTTP.Listen, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1" // listening on every address: loopback is one of them
	}
	c := &daemonClient{base: "http://" + net.JoinHostPort(host, port), http: &http.Client{Timeout: 30 * time.Second}}
	if len(cfg.HTTP.Tokens) > 0 {
		c.token = cfg.HTTP.Tokens[0]
	}
	return c, nil
}

// do sends a request and decodes a 2xx answer into out; an error answer
// becomes an error carrying its message.
func (c *daemonClient) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("reaching the daemon's API at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("reading the daemon's answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var eb api.ErrorBody
		if json.Unmarshal(raw, &eb) == nil && eb.Error.Message != "" {
			return &apiError{status: resp.StatusCode, code: eb.Error.Code, msg: eb.Error.Message}
		}
		return fmt.Errorf("the daemon answered %s", resp.Status)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// apiError is an error answer of the daemon's API.
type apiError struct {
	status    int
	code, msg string
}

func (e *apiError) Error() string { return e.msg + " (" + e.code + ")" }

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// asUsage makes a refusal of the request itself (a bad number, an unknown
// id) exit with the usage status; anything else stays a runtime failure.
func asUsage(err error) error {
	var ae *apiError
	if errors.As(err, &ae) && ae.status >= 400 && ae.status < 500 {
		return usageError{err}
	}
	if errors.Is(err, bridge.ErrBadRecipient) || errors.Is(err, bridge.ErrOptedOut) ||
		errors.Is(err, bridge.ErrTextRefused) || errors.Is(err, store.ErrNotFound) {
		return usageError{err}
	}
	return err
}
