// Package smtpd is the gateway's SMTP server: it speaks ESMTP through
// emersion/go-smtp, applies the connection and envelope policy, and hands
// each accepted mail to a Backend. It knows nothing of SMS.
package smtpd

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/emersion/go-smtp"
)

// Defaults for zero Config fields; go-smtp's own defaults are "unlimited".
const (
	DefaultMaxMessageBytes = 10 << 20
	DefaultMaxRecipients   = 100
	DefaultMaxLineLength   = 2000 // RFC 5321's 1000, doubled as go-smtp does
	DefaultReadTimeout     = 5 * time.Minute
	DefaultWriteTimeout    = time.Minute
)

// Config is the server's policy and limits. Zero values take the defaults
// above; Hostname defaults to the machine's name.
type Config struct {
	Hostname        string
	MaxMessageBytes int64
	MaxRecipients   int
	MaxLineLength   int
	// ReadTimeout bounds the wait for each command line, and for the whole
	// DATA body counted from the DATA command (go-smtp sets the deadline
	// only before each command).
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// TrustedNetworks may send without AUTH; everyone else gets 530 at MAIL.
	TrustedNetworks []netip.Prefix
	Logger          *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Hostname == "" {
		c.Hostname, _ = os.Hostname()
		if c.Hostname == "" {
			c.Hostname = "localhost"
		}
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if c.MaxRecipients <= 0 {
		c.MaxRecipients = DefaultMaxRecipients
	}
	if c.MaxLineLength <= 0 {
		c.MaxLineLength = DefaultMaxLineLength
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
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
	// base is the parent of every session's context; cancel ends them all
	// when a shutdown runs out of time.
	base   context.Context
	cancel context.CancelFunc
}

// NewServer returns a server with cfg's limits (defaults filled in) that
// hands mail to be.
func NewServer(cfg Config, be Backend) *Server {
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, be: be, log: cfg.Logger, conns: newConnSet()}
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
	s.smtp = srv
	return s
}

// Serve accepts connections on l until Shutdown; it then returns nil.
func (s *Server) Serve(l net.Listener) error {
	s.log.Info("smtp listening", "addr", l.Addr().String(), "hostname", s.cfg.Hostname)
	if err := s.smtp.Serve(&trackingListener{Listener: l, set: s.conns}); err != nil {
		return fmt.Errorf("smtpd: serve %s: %w", l.Addr(), err)
	}
	return nil
}

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
