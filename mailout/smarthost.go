package mailout

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/smsbridge/smsbridge/internal/mailfmt"
)

// TLSMode says how the connection to a smarthost is protected.
type TLSMode string

const (
	TLSOpportunistic TLSMode = "opportunistic" // STARTTLS when offered
	TLSStartTLS      TLSMode = "starttls"      // STARTTLS required
	TLSImplicit      TLSMode = "implicit"      // TLS from the first byte (port 465)
	TLSNone          TLSMode = "none"
)

// Smarthost relays mail through an SMTP server.
type Smarthost struct {
	Addr      string // host:port
	Hostname  string // our name in EHLO
	User      string // AUTH PLAIN when set
	Password  string
	TLS       TLSMode
	TLSConfig *tls.Config // nil: verify against the system roots for the host
	Timeout   time.Duration
}

// Deliver sends one mail. 5xx answers are permanent errors, everything else
// (connection refused, 4xx, timeouts) temporary.
// The envelope is written from parsed addresses, and the text in CRLF
// lines, so the client's dot-stuffing (which works on CRLF lines) leaves
// no line a smarthost could read as the end of the data.
func (s *Smarthost) Deliver(ctx context.Context, m *Mail) error {
	from, to, err := envelope(m)
	if err != nil {
		return err
	}
	c, err := s.dial(ctx)
	if err != nil {
		return classify(err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := s.send(c, from, to, mailfmt.CRLF(m.Data)); err != nil {
		return classify(err)
	}
	return nil
}

func (s *Smarthost) dial(ctx context.Context) (*smtp.Client, error) {
	switch s.TLS {
	case TLSImplicit:
		return s.open(ctx, func(conn net.Conn) (*smtp.Client, error) {
			return smtp.NewClient(tls.Client(conn, s.tlsConfig())), nil
		})
	case TLSNone:
		return s.open(ctx, plainClient)
	}
	c, err := s.open(ctx, func(conn net.Conn) (*smtp.Client, error) {
		return smtp.NewClientStartTLS(conn, s.tlsConfig())
	})
	if err != nil && s.TLS == TLSOpportunistic && errors.Is(err, errNoStartTLS) {
		return s.open(ctx, plainClient)
	}
	return c, err
}

// errNoStartTLS marks a server that does not offer STARTTLS; go-smtp reports
// it as a plain error, so it is recognised by its text.
var errNoStartTLS = errors.New("server does not offer STARTTLS")

func plainClient(conn net.Conn) (*smtp.Client, error) { return smtp.NewClient(conn), nil }

// open connects and greets; newClient decides how TLS is set up.
func (s *Smarthost) open(ctx context.Context, newClient func(net.Conn) (*smtp.Client, error)) (*smtp.Client, error) {
	timeout := s.Timeout
	if timeout == 0 {
		timeout = time.Minute
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return nil, fmt.Errorf("smarthost %s: %w", s.Addr, err)
	}
	conn.SetDeadline(time.Now().Add(timeout))
	c, err := newClient(conn)
	if err != nil {
		conn.Close()
		if strings.Contains(err.Error(), "doesn't support STARTTLS") {
			err = errNoStartTLS
		}
		return nil, fmt.Errorf("smarthost %s: %w", s.Addr, err)
	}
	if err := c.Hello(s.helloName()); err != nil {
		c.Close()
		return nil, fmt.Errorf("smarthost %s: %w", s.Addr, err)
	}
	return c, nil
}

func (s *Smarthost) send(c *smtp.Client, from string, to []string, data []byte) error {
	if s.User != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.User, s.Password)); err != nil {
			return fmt.Errorf("smarthost %s: AUTH: %w", s.Addr, err)
		}
	}
	if err := c.SendMail(from, to, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("smarthost %s: %w", s.Addr, err)
	}
	return c.Quit()
}

func (s *Smarthost) helloName() string {
	if s.Hostname != "" {
		return s.Hostname
	}
	return "localhost"
}

func (s *Smarthost) tlsConfig() *tls.Config {
	if s.TLSConfig != nil {
		return s.TLSConfig
	}
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		host = s.Addr
	}
	return &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
}

func classify(err error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) && se.Code >= 500 {
		return &Error{Permanent: true, Err: err}
	}
	return &Error{Err: err}
}
