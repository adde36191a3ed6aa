package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/internal/credentials"
	"github.com/smsbridge/smsbridge/policy"
	"github.com/smsbridge/smsbridge/transport/smpp/smppserver"
)

// smppService is the running SMPP server side: the address it listens on,
// and done, which yields once it has stopped.
type smppService struct {
	Addr     net.Addr
	Done     <-chan error
	accounts atomic.Pointer[credentials.Accounts]
	users    atomic.Pointer[integrationUsers]
}

// smppKick kicks the SMPP server once it runs; the gateway's observer
// holds it from before the server exists.
type smppKick struct {
	srv atomic.Pointer[smppserver.Server]
}

func (k *smppKick) kick() {
	if s := k.srv.Load(); s != nil {
		s.Kick()
	}
}

// startSMPPServer serves ESMEs on [smpp_server] listen until ctx is done;
// with listen empty it serves nothing and Done is closed.
// With [smpp_server] tls it speaks TLS with tlsConf (the SMTP server's).
// The users' limits are pol's.
func startSMPPServer(ctx context.Context, cfg *configs.Config, tlsConf *tls.Config, gw *bridge.Gateway, st gatewayStore, pol *policy.Policy, k *smppKick, log *slog.Logger) (*smppService, error) {
	done := make(chan error, 1)
	svc := &smppService{Done: done}
	if cfg.SMPPServer.Listen == "" {
		close(done)
		return svc, nil
	}
	svc.reload(cfg)
	srv := smppserver.New(smppserver.Options{Gateway: gw, Store: st, Rate: cfg.SMPPServer.Rate, Logger: log,
		Window: cfg.SMPPServer.Window, SegmentTTL: cfg.SMPPServer.SegmentTTL.Duration, AllowUser: pol.AllowUserSend,
		Verify: func(user, password string) bool { return svc.accounts.Load().Verify(user, password) },
		Source: func(user, from string) (string, error) { return svc.users.Load().source(user, from) },
		Inbox:  func(to string) (string, bool) { return svc.users.Load().esmeFor(to) }})
	l, err := net.Listen("tcp", cfg.SMPPServer.Listen)
	if err != nil {
		return nil, fmt.Errorf("SMPP server listen: %w", err)
	}
	if cfg.SMPPServer.TLS {
		l = tls.NewListener(l, tlsConf)
	}
	k.srv.Store(srv)
	svc.Addr = l.Addr()
	go func() { done <- srv.Serve(ctx, l) }()
	log.Info("SMPP server listening", "addr", l.Addr().String(), "tls", cfg.SMPPServer.TLS)
	return svc, nil
}

// reload puts the [[smtp.users]] of cfg in force for binds, sources and
// numbers.
func (s *smppService) reload(cfg *configs.Config) {
	if s != nil {
		s.accounts.Store(credentials.New(kannelUsers(cfg)))
		s.users.Store(newIntegrationUsers(cfg))
	}
}
