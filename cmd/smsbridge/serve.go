package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/bridge/smtpbackend"
	"github.com/smsbridge/smsbridge/cluster"
	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/internal/quietlog"
	"github.com/smsbridge/smsbridge/kannel"
	"github.com/smsbridge/smsbridge/mailout"
	"github.com/smsbridge/smsbridge/metrics"
	"github.com/smsbridge/smsbridge/policy"
	"github.com/smsbridge/smsbridge/smtpd"
)

const (
	drainTimeout    = 20 * time.Second // in-flight submits may finish this long after SIGTERM
	shutdownTimeout = 10 * time.Second // SMTP sessions may finish this long
)

func serve(args []string, stderr io.Writer) error {
	fs := newFlagSet("serve", "[-config FILE] [-log text|json] [-v]", stderr)
	configPath := fs.String("config", "", "configuration `file` (default: the embedded default)")
	logFormat := fs.String("log", "text", "log format: text or json")
	verbose := fs.Bool("v", false, "log debug messages")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("serve takes no arguments")}
	}
	logger, err := newLogger(stderr, *logFormat, *verbose)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	tuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return runGateway(ctx, cfg, logger, nil)
}

// tuneGC trades memory for CPU: the live heap is small (tens of MiB) and
// every mail allocates, so collecting at 5× the live heap instead of 2×
// cuts the collector's share of the CPU, and the memory limit makes it
// collect sooner before the process grows large. GOGC and GOMEMLIMIT in
// the environment win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(256 << 20)
	}
}

// Warnings and errors of one message are written at most logRepeatBurst
// times per logRepeatEvery.
const (
	logRepeatEvery = 10 * time.Second
	logRepeatBurst = 5
)

func newLogger(w io.Writer, format string, verbose bool) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if verbose {
		opts.Level = slog.LevelDebug
	}
	var h slog.Handler
	switch format {
	case "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, usageError{fmt.Errorf("-log must be text or json, not %q", format)}
	}
	// A failure that repeats (a full disk, a peer down) is written a few
	// times per interval, not thousands of times a second.
	return slog.New(quietlog.New(h, logRepeatEvery, logRepeatBurst)), nil
}

// runGateway wires the pieces together and runs until ctx is done, then
// stops in order: no new mail, in-flight submits finished, store closed.
// listening, when not nil, is told the SMTP addresses once they accept.
func runGateway(ctx context.Context, cfg *configs.Config, log *slog.Logger, listening func([]net.Addr)) error {
	bcfg, err := bridge.ConfigFrom(cfg)
	if err != nil {
		return usageError{err}
	}
	if err := cluster.Check(cfg); err != nil { // as check does
		return usageError{err}
	}
	listeners, plain, err := listenAll(cfg)
	if err != nil {
		return err
	}
	m := metrics.New()
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		closeAll(listeners)
		return fmt.Errorf("opening the store: %w", err)
	}
	defer st.Close()
	counters, err := policyCounters(st, cfg, log) // before the policy loads them
	if err != nil {
		closeAll(listeners)
		return err
	}
	scfg, pol, err := smtpConfig(cfg, log, counters)
	if err != nil {
		closeAll(listeners)
		return usageError{err}
	}
	var cert *certReloader
	if scfg.TLS, cert, err = serverTLS(cfg, log); err != nil {
		closeAll(listeners)
		return usageError{err}
	}
	scfg.Replies = m.SMTPReply
	lanes, err := buildLanes(cfg, log, st, st.bindLeases()) // after the store: modem SIM counts live there
	if err != nil {
		closeAll(listeners)
		return usageError{err}
	}
	dlr := kannel.NewNotifier(st, nil, cfg.Kannel.DLRRetryFor.Duration, log)
	var smppKicks smppKick
	gw, err := bridge.New(bcfg, bridge.Options{Store: st, Lanes: lanes, Mailer: buildMailer(cfg), Logger: log, Policy: pol, Observer: dlr.Observe(m, smppKicks.kick), Handoff: &smppKicks})
	if err != nil {
		closeAll(listeners)
		return usageError{err}
	}
	m.Attach(metrics.Sources{Transports: gw.Transports, Queue: st, Route: gw.RouteOf})
	hctx, stopHTTP := context.WithCancel(ctx)
	defer stopHTTP()
	httpSvc, err := startHTTP(hctx, cfg, gw, st, st.bindHolders(), m, log)
	if err != nil {
		closeAll(listeners)
		return err
	}
	kannelSvc, err := startKannel(hctx, cfg, gw, pol, log)
	if err != nil {
		closeAll(listeners)
		return err
	}
	smppSvc, err := startSMPPServer(hctx, cfg, scfg.TLS, gw, st, pol, &smppKicks, log)
	if err != nil {
		closeAll(listeners)
		return err
	}
	dlrDone := make(chan struct{})
	go func() { dlr.Run(hctx); close(dlrDone) }()
	srv := smtpd.NewServer(scfg, smtpbackend.New(gw))
	go reloadOnHUP(hctx, cfg, log, &reloadTargets{gw: gw, smtp: srv, pol: pol, http: httpSvc, kannel: kannelSvc, smpp: smppSvc, cert: cert})

	gctx, stopGateway := context.WithCancel(context.Background())
	gwDone := make(chan error, 1)
	go func() { gwDone <- gw.Run(gctx, drainTimeout) }()
	serving := serveSMTP(srv, listeners, plain, log)
	if listening != nil {
		addrs := make([]net.Addr, len(listeners))
		for i, l := range listeners {
			addrs[i] = l.Addr()
		}
		listening(addrs)
	}

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("stopping: no new mail; finishing submits in flight")
	case runErr = <-gwDone:
		log.Error("gateway stopped", "err", runErr)
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("SMTP shutdown", "err", err)
	}
	// A listener whose Serve had not begun when Shutdown ran is unknown to
	// go-smtp and would accept forever: close them all here.
	closeAll(listeners)
	serving.Wait()
	stopHTTP()
	if err := <-httpSvc.Done; err != nil {
		log.Warn("HTTP shutdown", "err", err)
	}
	if err := <-kannelSvc.Done; err != nil {
		log.Warn("Kannel sendsms shutdown", "err", err)
	}
	if err := <-smppSvc.Done; err != nil {
		log.Warn("SMPP server shutdown", "err", err)
	}
	<-dlrDone
	stopGateway()
	if runErr == nil {
		runErr = <-gwDone
	}
	log.Info("stopped")
	return runErr
}

// listenAll opens the SMTP listeners: first the plain ones (STARTTLS), then
// plain of them are followed by the implicit-TLS ones.
func listenAll(cfg *configs.Config) (ls []net.Listener, plain int, err error) {
	if len(cfg.SMTP.Listen) == 0 {
		return nil, 0, usageError{errors.New("smtp.listen is empty: nothing to accept mail on")}
	}
	ls, err = listenSMTP(cfg.SMTP.Listen, "listen")
	if err != nil {
		return nil, 0, err
	}
	plain = len(ls)
	tlsListeners, err := listenSMTP(cfg.SMTP.ListenTLS, "listen_tls")
	ls = append(ls, tlsListeners...)
	if err != nil {
		closeAll(ls)
		return nil, 0, err
	}
	return ls, plain, nil
}

// serveSMTP serves each listener; listeners from index plain on speak TLS
// from the first byte.
func serveSMTP(srv *smtpd.Server, listeners []net.Listener, plain int, log *slog.Logger) *sync.WaitGroup {
	var serving sync.WaitGroup
	for i, l := range listeners {
		serve := srv.Serve
		if i >= plain {
			serve = srv.ServeTLS
		}
		serving.Go(func() {
			if err := serve(l); err != nil {
				log.Error("SMTP listener stopped", "addr", l.Addr().String(), "err", err)
			}
		})
	}
	return &serving
}

// smtpListen opens SMTP listeners without TCP keep-alive, which Go would
// otherwise set up on every accepted connection (four setsockopt calls, with
// a new connection per mail); SMTP's own timeouts end dead sessions.
var smtpListen = net.ListenConfig{KeepAlive: -1}

// listenSMTP opens a listener on each of addrs; key names them in errors.
func listenSMTP(addrs []string, key string) ([]net.Listener, error) {
	var ls []net.Listener
	for _, a := range addrs {
		l, err := smtpListen.Listen(context.Background(), "tcp", a)
		if err != nil {
			closeAll(ls)
			return nil, fmt.Errorf("SMTP %s: %w", key, err)
		}
		ls = append(ls, l)
	}
	return ls, nil
}

func closeAll(ls []net.Listener) {
	for _, l := range ls {
		l.Close()
	}
}

// smtpConfig builds the SMTP server's configuration: limits, TLS (its
// certificate reloaded on SIGHUP until ctx ends), users and the policy,
// which the bridge shares.
func smtpConfig(cfg *configs.Config, log *slog.Logger, counters policy.CounterStore) (smtpd.Config, *policy.Policy, error) {
	c := smtpd.Config{
		Hostname:             cfg.SMTP.Hostname,
		MaxMessageBytes:      cfg.SMTP.MaxMessageBytes,
		MaxRecipients:        cfg.SMTP.MaxRecipients,
		MaxLineLength:        cfg.SMTP.MaxLineLength,
		ReadTimeout:          cfg.SMTP.ReadTimeout.Duration,
		WriteTimeout:         cfg.SMTP.WriteTimeout.Duration,
		MaxConnsPerClient:    cfg.SMTP.MaxConnectionsPerIP,
		MaxInFlight:          cfg.SMTP.MaxInFlight,
		MaxInFlightPerClient: cfg.SMTP.MaxInFlightPerClient,
		DataTimeout:          cfg.SMTP.DataTimeout.Duration,
		MinDataRate:          cfg.SMTP.MinDataRate,
		SessionTimeout:       cfg.SMTP.SessionTimeout.Duration,
		Logger:               log,
	}
	c.TrustedNetworks = trustedNetworks(cfg)
	for _, u := range cfg.SMTP.Users {
		c.Users = append(c.Users, smtpd.User{Name: u.Name, PasswordHash: u.PasswordHash})
	}
	pol, err := newPolicy(cfg, log, counters)
	if err != nil {
		return c, nil, err
	}
	c.Policy = pol
	return c, pol, nil
}

// newPolicy builds the sender policy; its daily counters live in counters.
func newPolicy(cfg *configs.Config, log *slog.Logger, counters policy.CounterStore) (*policy.Policy, error) {
	pc, err := newPolicyConfig(cfg, log)
	if err != nil {
		return nil, err
	}
	pc.Counters = counters
	return policy.New(pc)
}

// newPolicyConfig reads the sender policy of a configuration.
func newPolicyConfig(cfg *configs.Config, log *slog.Logger) (policy.Config, error) {
	mode, err := policy.ParseMode(cfg.SMTP.SenderVerification)
	if err != nil {
		return policy.Config{}, err
	}
	pc := policy.Config{
		Users:        map[string]policy.User{},
		Limits:       policy.Limits(cfg.Limits),
		Verification: mode,
		AuthServID:   cfg.SMTP.Hostname,
		Logger:       log,
	}
	for _, u := range cfg.SMTP.Users {
		pc.Users[u.Name] = policy.User{
			AllowedSenders: u.AllowedSenders, AllowedRecipients: u.AllowedRecipients,
			Limits: policy.Limits{MailsPerMinute: u.MailsPerMinute, PartsPerDay: u.PartsPerDay, RecipientsPerMail: u.RecipientsPerMail},
		}
	}
	return pc, nil
}

func buildMailer(cfg *configs.Config) bridge.Mailer {
	r := cfg.Receipts
	if r.Smarthost == "" {
		dir := r.Maildir
		if !filepath.IsAbs(dir) {
			if wd, err := os.Getwd(); err == nil {
				dir = filepath.Join(wd, dir)
			}
		}
		return &mailout.Maildir{Dir: dir}
	}
	return &mailout.Smarthost{
		Addr: r.Smarthost, Hostname: cfg.SMTP.Hostname, User: r.SmarthostUser, Password: r.SmarthostPassword,
		TLS: mailout.TLSMode(r.SmarthostTLS), Timeout: time.Minute,
	}
}
