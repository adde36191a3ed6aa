package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/policy"
	"github.com/smsbridge/smsbridge/smtpd"
)

// reloadTargets are the running pieces whose settings SIGHUP may change.
type reloadTargets struct {
	gw   *bridge.Gateway
	smtp *smtpd.Server
	pol  *policy.Policy
	http *httpService
	cert *certReloader // nil without TLS
}

// reloadOnHUP reads the configuration file again on every SIGHUP and puts
// in force what can change safely: the TLS certificate, users, aliases,
// limits, routes, number and conversion rules, report settings, API
// tokens. What needs a restart is logged. A file that does not validate
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
	t.http.reload(cfg)
	return nil
}

// needsRestart names the settings that differ but are fixed while running:
// listeners, the store, the transports.
func needsRestart(old, next *configs.Config) []string {
	var keys []string
	if !slices.Equal(old.SMTP.Listen, next.SMTP.Listen) {
		keys = append(keys, "smtp.listen")
	}
	if !slices.Equal(old.SMTP.ListenTLS, next.SMTP.ListenTLS) {
		keys = append(keys, "smtp.listen_tls")
	}
	if old.Store.Path != next.Store.Path {
		keys = append(keys, "store.path")
	}
	if old.HTTP.Listen != next.HTTP.Listen {
		keys = append(keys, "http.listen")
	}
	if !slices.EqualFunc(old.Transports, next.Transports, sameTransport) {
		keys = append(keys, "transports")
	}
	if old.Receipts.Smarthost != next.Receipts.Smarthost || old.Receipts.Maildir != next.Receipts.Maildir {
		keys = append(keys, "receipts.smarthost/maildir")
	}
	return keys
}

func sameTransport(a, b configs.Transport) bool {
	return a.Name == b.Name && a.Type == b.Type && a.Address == b.Address && a.SystemID == b.SystemID &&
		a.Password == b.Password && a.Bind == b.Bind && a.Window == b.Window && a.Binds == b.Binds &&
		a.Device == b.Device && slices.Equal(a.Devices, b.Devices) && a.Rate == b.Rate &&
		a.InDoubtLimit == b.InDoubtLimit && a.MaxInDoubtResends == b.MaxInDoubtResends
}
