package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"

	"github.com/smsbridge/smsbridge/api"
	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/console"
	"github.com/smsbridge/smsbridge/metrics"
	"github.com/smsbridge/smsbridge/smtpd"
)

// httpService is the running HTTP server: the API (for reloads), the
// address it listens on, and done, which yields once it has stopped.
type httpService struct {
	API     *api.Server
	Console *console.Console
	Addr    net.Addr
	Done    <-chan error
}

// startHTTP serves the API, the web console, /metrics, /healthz and /readyz on [http]
// listen until ctx is done. With listen empty it serves nothing: the
// service has no API and Done is closed. The listener is opened before it
// returns, so a busy port fails start-up.
func startHTTP(ctx context.Context, cfg *configs.Config, gw *bridge.Gateway, st gatewayStore, holders api.BindHolders, m *metrics.Metrics, log *slog.Logger) (*httpService, error) {
	done := make(chan error, 1)
	if cfg.HTTP.Listen == "" {
		close(done)
		return &httpService{Done: done}, nil
	}
	srv, err := api.New(api.Options{
		Gateway: gw, Queue: st, BindHolders: holders, Tokens: cfg.HTTP.Tokens, ReadOnlyTokens: cfg.HTTP.ReadOnlyTokens, Trusted: trustedNetworks(cfg),
		Metrics: m.Handler(), Throughput: m.Throughput, MaxRecipients: cfg.SMTP.MaxRecipients, Logger: log,
		PublicMetrics: cfg.HTTP.PublicMetrics,
	})
	if err != nil {
		return nil, err
	}
	con, err := console.New(console.Options{Access: srv, Gateway: gw, Store: st, History: m.History,
		Throughput: m.Throughput, Users: consoleUsers(cfg), Operators: cfg.HTTP.Operators, Logger: log})
	if err != nil {
		return nil, err
	}
	srv.Handle(console.Prefix, con)
	srv.Handle("GET /{$}", http.RedirectHandler(console.Prefix, http.StatusSeeOther))
	l, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return nil, fmt.Errorf("HTTP listen: %w", err)
	}
	go func() { done <- srv.Serve(ctx, l) }()
	return &httpService{API: srv, Console: con, Addr: l.Addr(), Done: done}, nil
}

// reload applies what SIGHUP may change of the API and the console:
// tokens, the trusted networks, who logs in to the console.
func (h *httpService) reload(cfg *configs.Config) {
	if h != nil && h.API != nil {
		h.API.Reload(cfg.HTTP.Tokens, cfg.HTTP.ReadOnlyTokens, trustedNetworks(cfg))
		h.Console.Reload(consoleUsers(cfg), cfg.HTTP.Operators)
	}
}

// consoleUsers are the SMTP users, who may log in to the web console.
func consoleUsers(cfg *configs.Config) []smtpd.User {
	out := make([]smtpd.User, 0, len(cfg.SMTP.Users))
	for _, u := range cfg.SMTP.Users {
		out = append(out, smtpd.User{Name: u.Name, PasswordHash: u.PasswordHash})
	}
	return out
}

// trustedNetworks reads [smtp] trusted_networks: CIDR prefixes or single
// addresses (validation has checked them).
func trustedNetworks(cfg *configs.Config) []netip.Prefix {
	var out []netip.Prefix
	for _, n := range cfg.SMTP.TrustedNetworks {
		if p, err := netip.ParsePrefix(n); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(n); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return out
}
