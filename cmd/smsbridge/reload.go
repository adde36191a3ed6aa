package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/policy"
	"github.com/smsbridge/smsbridge/smtpd"
)

// reloadTargets are the running pieces whose settings SIGHUP may change.
type reloadTargets struct {
	gw     *bridge.Gateway
	smtp   *smtpd.Server
	pol    *policy.Policy
	http   *httpService
	kannel *kannelService
	smpp   *smppService
	cert   *certReloader // nil without TLS
}

// reloadOnHUP reads the configuration file again on every SIGHUP and puts
// in force what can change safely: the TLS certificate, users, trusted
// networks, aliases, limits, routes, number and conversion rules, report
// settings, API tokens. What needs a restart is logged (reloadRules says
// which is which). A file that does not validate
// changes nothing but the certificate.
func reloadOnHUP(ctx context.Context, running *configs.Config, log *slog.Logger, t *reloadTargets) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		// The certificate files change on their own schedule (renewals):
		// reload them whatever the configuration file says.
		t.cert.reloadOrKeep()
		if running.File == "" {
			log.Info("SIGHUP: running on the embedded default; nothing to reload")
			continue
		}
		next, err := configs.Load(running.File)
		if err != nil {
			log.Error("SIGHUP: configuration not reloaded", "err", err)
			continue
		}
		if err := t.apply(next, log); err != nil {
			log.Error("SIGHUP: configuration not reloaded", "err", err)
			continue
		}
		for _, key := range needsRestart(running, next) {
			log.Warn("SIGHUP: this change takes effect only after a restart", "key", key)
		}
		log.Info("SIGHUP: configuration reloaded", "file", running.File)
	}
}

// apply checks everything first, so a reload takes effect whole or not at all.
func (t *reloadTargets) apply(cfg *configs.Config, log *slog.Logger) error {
	bcfg, err := bridge.ConfigFrom(cfg)
	if err != nil {
		return err
	}
	pc, err := newPolicyConfig(cfg, log)
	if err != nil {
		return err
	}
	if err := t.gw.Reload(bcfg); err != nil {
		return err
	}
	t.pol.Reload(pc.Users, pc.Limits, pc.Verification)
	users := make([]smtpd.User, 0, len(cfg.SMTP.Users))
	for _, u := range cfg.SMTP.Users {
		users = append(users, smtpd.User{Name: u.Name, PasswordHash: u.PasswordHash})
	}
	t.smtp.SetUsers(users)
	t.smtp.SetTrustedNetworks(trustedNetworks(cfg))
	t.http.reload(cfg)
	t.kannel.reload(cfg)
	t.smpp.reload(cfg)
	return nil
}
