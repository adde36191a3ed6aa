package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/kannel"
	"github.com/smsbridge/smsbridge/policy"
)

// kannelService is the running Kannel-compatible sendsms endpoint: the
// server (for reloads), the address it listens on, and done, which yields
// once it has stopped.
type kannelService struct {
	srv   *kannel.Server
	Addr  net.Addr
	Done  <-chan error
	users atomic.Pointer[integrationUsers]
}

// startKannel serves /cgi-bin/sendsms on [kannel] listen until ctx is
// done; with listen empty it serves nothing and Done is closed. The
// listener is opened before it returns, so a busy port fails start-up.
func startKannel(ctx context.Context, cfg *configs.Config, gw *bridge.Gateway, pol *policy.Policy, log *slog.Logger) (*kannelService, error) {
	done := make(chan error, 1)
	if cfg.Kannel.Listen == "" {
		close(done)
		return &kannelService{Done: done}, nil
	}
	k := &kannelService{Done: done}
	k.users.Store(newIntegrationUsers(cfg))
	k.srv = kannel.New(kannel.Options{
		Gateway: gw, Users: kannelUsers(cfg), MaxRecipients: cfg.SMTP.MaxRecipients, Logger: log,
		Allow:     func(user string, numbers []string) error { return pol.AllowRecipient(user, "", numbers) },
		AllowUser: pol.AllowUserSend,
		Source:    func(user, from string) (string, error) { return k.users.Load().source(user, from) },
	})
	l, err := net.Listen("tcp", cfg.Kannel.Listen)
	if err != nil {
		return nil, fmt.Errorf("Kannel sendsms listen: %w", err)
	}
	k.Addr = l.Addr()
	go func() { done <- k.srv.Serve(ctx, l) }()
	log.Info("Kannel sendsms listening", "addr", l.Addr().String())
	return k, nil
}

// reload puts the [[smtp.users]] of cfg in force for sendsms.
func (k *kannelService) reload(cfg *configs.Config) {
	if k != nil && k.srv != nil {
		k.srv.SetUsers(kannelUsers(cfg))
		k.users.Store(newIntegrationUsers(cfg))
	}
}

func kannelUsers(cfg *configs.Config) []kannel.User {
	users := make([]kannel.User, 0, len(cfg.SMTP.Users))
	for _, u := range cfg.SMTP.Users {
		users = append(users, kannel.User{Name: u.Name, PasswordHash: u.PasswordHash})
	}
	return users
}
