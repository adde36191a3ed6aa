// Package smtpd is the gateway's SMTP server: it speaks ESMTP through
// emersion/go-smtp, applies the connection and envelope policy, and hands
// each accepted mail to a Backend. It knows nothing of SMS.
package smtpd

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// Defaults for zero Config fields that are no configuration keys. The
// limits that are (sizes, timeouts, caps) have their defaults in one place,
// package configs: here zero means no limit.
const (
	DefaultAuthFailDelay = 500 * time.Millisecond
	DefaultAuthMaxDelay  = 8 * time.Second
	DefaultInFlightWait  = 5 * time.Second
	DefaultDataGrace     = 10 * time.Second
	authFailWindow       = 15 * time.Minute
)

// Config is the server's policy and limits. Zero limits mean none; the
// delays and waits take the defaults above; Hostname defaults to the
// machine's name.
type Config struct {
	Hostname        string
	MaxMessageBytes int64
	MaxRecipients   int
	MaxLineLength   int
	// ReadTimeout bounds the wait for each command line (go-smtp sets the
	// deadline before each command); DataTimeout and MinDataRate bound a
	// body.
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// TrustedNetworks may send without AUTH; everyone else gets 530 at MAIL.
	TrustedNetworks []netip.Prefix
	Logger          *slog.Logger

	// TLS, when set, is offered with STARTTLS on Serve's listeners and used
	// by ServeTLS. Its MinVersion is raised to TLS 1.2 when lower.
	TLS *tls.Config
	// Users may log in with AUTH PLAIN or LOGIN, over TLS or from a
	// trusted network. None: AUTH is not offered.
	Users []User
	// AuthFailDelay is how long the reply to a client's first failed AUTH
	// is held; it doubles with each further failure up to AuthMaxDelay.
	AuthFailDelay, AuthMaxDelay time.Duration
	// MaxConnsPerClient caps open connections per client address (per /64
	// for IPv6); others get 421 4.7.0 and are closed. 0: no cap.
	MaxConnsPerClient int
	// MaxInFlight caps the DATA transactions being received or submitted
	// at once; a DATA waits up to InFlightWait for a slot, then gets
	// 450 4.7.1. 0: no cap.
	MaxInFlight  int
	InFlightWait time.Duration
	// MaxInFlightPerClient caps the DATA transactions in progress per
	// client address (per /64 for IPv6) and per authenticated user; one
	// over it waits, as for MaxInFlight, then gets 450 4.7.1. 0: no cap.
	MaxInFlightPerClient int
	// DataTimeout bounds the reading of one DATA body. MinDataRate, in
	// bytes a second, is the least average rate of a body once DataGrace
	// has passed (0: none): a slow start is not trickling. A body that
	// breaks either is answered 421 4.4.2 and its connection closed.
	DataTimeout time.Duration
	MinDataRate int64
	DataGrace   time.Duration
	// SessionTimeout bounds a connection's life: once it is this old, the
	// next command, or one still arriving, is answered 421 4.4.2 and the
	// connection closed; a DATA in progress is finished first. 0: no bound.
	SessionTimeout time.Duration
	// Policy, when set, decides MAIL, RCPT and DATA after the server's own
	// checks.
	Policy Policy
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Replies, when set, is told the code of every reply that ends a
	// command with a decision: refusals at any stage, and the 250 that
	// accepts a mail (for metrics).
	Replies func(code int)
}

func (c Config) withDefaults() Config {
	if c.Hostname == "" {
		c.Hostname, _ = os.Hostname()
		if c.Hostname == "" {
			c.Hostname = "localhost"
		}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.AuthFailDelay <= 0 {
		c.AuthFailDelay = DefaultAuthFailDelay
	}
	if c.AuthMaxDelay < c.AuthFailDelay {
		c.AuthMaxDelay = max(DefaultAuthMaxDelay, c.AuthFailDelay)
	}
	if c.InFlightWait <= 0 {
		c.InFlightWait = DefaultInFlightWait
	}
	if c.DataGrace <= 0 {
		c.DataGrace = DefaultDataGrace
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.TLS != nil && c.TLS.MinVersion < tls.VersionTLS12 {
		c.TLS = c.TLS.Clone()
		c.TLS.MinVersion = tls.VersionTLS12
	}
	return c
}

// Server is an SMTP server that hands accepted mail to a Backend.
type Server struct {
	cfg   Config
	be    Backend
	log   *slog.Logger
	smtp  *smtp.Server
	conns *connSet
	// accounts holds nil when there are no users; SetUsers swaps it.
	accounts atomic.Pointer[accounts]
	throttle *authThrottle
	// trustedNets is Config.TrustedNetworks until SetTrustedNetworks.
	trustedNets atomic.Pointer[[]netip.Prefix]
	inFlight    chan struct{} // nil: no cap
	perClient   *clientSlots
	refused     atomic.Int64
	// base is the parent of every session's context; cancel ends them all
	// when a shutdown runs out of time.
	base   context.Context
	cancel context.CancelFunc
}

// NewServer returns a server with cfg's limits (defaults filled in) that
// hands mail to be.
func NewServer(cfg Config, be Backend) *Server {
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, be: be, log: cfg.Logger, conns: newConnSet(),
		throttle: newAuthThrottle(cfg.AuthFailDelay, cfg.AuthMaxDelay, authFailWindow)}
	s.SetUsers(cfg.Users)
	s.SetTrustedNetworks(cfg.TrustedNetworks)
	if cfg.MaxInFlight > 0 {
		s.inFlight = make(chan struct{}, cfg.MaxInFlight)
	}
	s.perClient = newClientSlots(cfg.MaxInFlightPerClient)
	s.base, s.cancel = context.WithCancel(context.Background())
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = cfg.Hostname
	srv.MaxMessageBytes = cfg.MaxMessageBytes
	// MaxRecipients is left to the session so that the reply and the log
	// line come from one place.
	srv.MaxLineLength = cfg.MaxLineLength
	srv.ReadTimeout = cfg.ReadTimeout
	srv.WriteTimeout = cfg.WriteTimeout
	srv.EnableSMTPUTF8 = true
	srv.EnableDSN = true
	srv.ErrorLog = errorLog{cfg.Logger}
	srv.TLSConfig = cfg.TLS
	// go-smtp would refuse AUTH in clear even to trusted clients; the
	// session decides instead (AuthMechanisms, Auth).
	srv.AllowInsecureAuth = true
	s.smtp = srv
	return s
}

// Serve accepts connections on l until Shutdown; it then returns nil.
// STARTTLS is offered when Config.TLS is set.
func (s *Server) Serve(l net.Listener) error {
	s.log.Info("smtp listening", "addr", l.Addr().String(), "hostname", s.cfg.Hostname, "starttls", s.cfg.TLS != nil)
	return s.serve(s.tracking(l, false))
}

// ServeTLS is Serve for implicit TLS (port 465): the TLS handshake comes
// before the greeting. It needs Config.TLS.
func (s *Server) ServeTLS(l net.Listener) error {
	if s.cfg.TLS == nil {
		return fmt.Errorf("smtpd: serve %s: implicit TLS without a TLS configuration", l.Addr())
	}
	s.log.Info("smtp listening", "addr", l.Addr().String(), "hostname", s.cfg.Hostname, "tls", "implicit")
	return s.serve(tls.NewListener(s.tracking(l, true), s.cfg.TLS))
}

func (s *Server) tracking(l net.Listener, implicitTLS bool) net.Listener {
	return &trackingListener{Listener: l, set: s.conns, limit: s.cfg.MaxConnsPerClient, refuse: s.refuse, tls: implicitTLS,
		lifetime: s.cfg.SessionTimeout}
}

func (s *Server) serve(l net.Listener) error {
	if err := s.smtp.Serve(l); err != nil {
		return fmt.Errorf("smtpd: serve %s: %w", l.Addr(), err)
	}
	return nil
}

// refuse turns away a connection over its client's cap: 421 on a plain
// listener, a bare close under implicit TLS. Refusals are logged at powers
// of two, so that a flood cannot flood the log too.
func (s *Server) refuse(c net.Conn, implicitTLS bool) {
	defer c.Close()
	if n := s.refused.Add(1); n&(n-1) == 0 {
		s.log.Warn("smtp connection refused", "remote", c.RemoteAddr().String(),
			"reason", "too many connections from this client", "limit", s.cfg.MaxConnsPerClient, "refused_total", n)
	}
	if implicitTLS {
		return
	}
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = fmt.Fprintf(c, "421 4.7.0 %s Too many connections from your address, try again later\r\n", s.cfg.Hostname)
}

func (s *Server) now() time.Time { return s.cfg.Now() }

// Shutdown stops accepting, lets a DATA in progress finish and be answered,
// and ends idle connections with 421. When ctx ends first, the remaining
// connections are closed and ctx's error is returned.
func (s *Server) Shutdown(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- s.smtp.Shutdown(context.Background()) }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		// Kicked again on every tick: a connection may turn idle, or start
		// waiting for its next command, at any moment.
		s.conns.kickIdle()
		select {
		case err := <-done:
			s.cancel()
			if err != nil {
				return fmt.Errorf("smtpd: shutdown: %w", err)
			}
			return nil
		case <-ctx.Done():
			// Not waiting for done: a backend call that ignores its
			// context must not hold the caller past its deadline.
			s.conns.closeAll()
			s.cancel()
			return fmt.Errorf("smtpd: shutdown: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// errorLog passes go-smtp's own reports (connection errors, panics it
// caught) to slog.
type errorLog struct{ log *slog.Logger }

func (l errorLog) Printf(format string, v ...any) {
	l.log.Warn("smtp server", "detail", fmt.Sprintf(format, v...))
}

func (l errorLog) Println(v ...any) {
	l.log.Warn("smtp server", "detail", fmt.Sprintln(v...))
}

// SetUsers replaces the accounts that may log in (a configuration reload);
// sessions already authenticated keep their login.
func (s *Server) SetUsers(users []User) {
	s.accounts.Store(newAccounts(users, runtime.GOMAXPROCS(0)))
}

// SetTrustedNetworks replaces the networks that may send without AUTH (a
// configuration reload); it applies to connections from then on.
func (s *Server) SetTrustedNetworks(nets []netip.Prefix) {
	nets = slices.Clone(nets)
	s.trustedNets.Store(&nets)
}

func (s *Server) replied(code int) {
	if s != nil && s.cfg.Replies != nil {
		s.cfg.Replies(code)
	}
}
