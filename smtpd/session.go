package smtpd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"

	"github.com/emersion/go-smtp"
)

// session is one client conversation, from EHLO to the end of the
// connection (or to STARTTLS, after which go-smtp starts a new one). It
// implements smtp.AuthSession (auth.go); user is set by a successful AUTH.
type session struct {
	srv     *Server
	conn    *smtp.Conn
	tc      *trackedConn // nil when the listener was not ours
	id      string
	remote  net.Addr
	ip      netip.Addr // zero when remote is not an IP address
	tls     bool
	trusted bool
	user    string
	ctx     context.Context
	cancel  context.CancelFunc
	log     *slog.Logger
	env     *Envelope // the transaction in progress; nil before MAIL
}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	nc := c.Conn()
	tc := tracked(nc)
	id := newID()
	if tc != nil {
		id = tc.cid // one id for the connection, across STARTTLS
	}
	sess := &session{
		srv:     s,
		conn:    c,
		tc:      tc,
		id:      id,
		remote:  nc.RemoteAddr(),
		trusted: s.trusted(nc.RemoteAddr()),
	}
	sess.ip, _ = addrIP(nc.RemoteAddr())
	_, sess.tls = c.TLSConnectionState()
	sess.ctx, sess.cancel = context.WithCancel(s.base)
	sess.log = s.log.With("conn_id", id, "remote", nc.RemoteAddr().String())
	// One line per mail ("mail accepted") at Info; connections at Debug,
	// since with a new connection per mail they would double the log.
	sess.log.Debug("smtp session", "helo", c.Hostname(), "trusted", sess.trusted, "tls", sess.tls)
	return sess, nil
}

// trusted reports whether a may send without AUTH.
func (s *Server) trusted(a net.Addr) bool {
	ip, ok := addrIP(a)
	if !ok {
		return false
	}
	for _, p := range *s.trustedNets.Load() {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func addrIP(a net.Addr) (netip.Addr, bool) {
	if t, ok := a.(*net.TCPAddr); ok {
		ip, ok := netip.AddrFromSlice(t.IP)
		return ip.Unmap(), ok
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}

// Mail, Rcpt and Data each pass what they return, and any panic, through
// reply: the one place where errors become SMTP replies.

func (s *session) Mail(from string, opts *smtp.MailOptions) (err error) {
	defer func() { err = s.reply("mail", err, recover()) }()
	s.env = nil
	if !s.trusted && s.user == "" {
		return &Error{Code: 530, Enhanced: enhAuthRequired, Message: "Authentication required"}
	}
	if e := checkSender(from); e != nil {
		return e
	}
	env := &Envelope{
		ID:         s.id,
		RemoteAddr: s.remote,
		Helo:       s.conn.Hostname(),
		User:       s.user,
		TLS:        s.tls,
		Trusted:    s.trusted,
		From:       from,
	}
	if opts != nil {
		env.Ret = string(opts.Return)
		env.EnvID = opts.EnvelopeID
	}
	if p := s.srv.cfg.Policy; p != nil {
		if err := p.Mail(s.ctx, env); err != nil {
			return fmt.Errorf("sender policy: %w", err)
		}
	}
	s.env = env
	return nil
}

func (s *session) Rcpt(to string, opts *smtp.RcptOptions) (err error) {
	defer func() { err = s.reply("rcpt", err, recover()) }()
	env := s.env
	if env == nil {
		return &Error{Code: 503, Enhanced: [3]int{5, 5, 1}, Message: "MAIL first"}
	}
	if n := s.srv.cfg.MaxRecipients; n > 0 && len(env.Recipients) >= n {
		return &Error{Code: 452, Enhanced: enhTooMany,
			Message: fmt.Sprintf("Too many recipients: at most %d per mail (max_recipients)", s.srv.cfg.MaxRecipients)}
	}
	if e := checkAddress(to); e != nil {
		return e
	}
	if p := s.srv.cfg.Policy; p != nil {
		if err := p.Rcpt(s.ctx, env, to); err != nil {
			return fmt.Errorf("recipient policy %s: %w", to, err)
		}
	}
	numbers, err := s.srv.be.Recipient(s.ctx, env, to)
	if err != nil {
		return fmt.Errorf("recipient %s: %w", to, err)
	}
	env.Recipients = append(env.Recipients, newRecipient(to, opts, numbers))
	return nil
}

func newRecipient(to string, opts *smtp.RcptOptions, numbers []string) Recipient {
	r := Recipient{Address: to, Numbers: numbers}
	if opts == nil {
		return r
	}
	for _, n := range opts.Notify {
		r.Notify = append(r.Notify, string(n))
	}
	if opts.OriginalRecipient != "" {
		r.ORCPT = string(opts.OriginalRecipientType) + ";" + opts.OriginalRecipient
	}
	return r
}

func (s *session) Data(r io.Reader) (err error) {
	defer func() { err = s.reply("data", err, recover()) }()
	env := s.env
	if env == nil || len(env.Recipients) == 0 {
		return &Error{Code: 503, Enhanced: [3]int{5, 5, 1}, Message: "RCPT first"}
	}
	if s.tc != nil {
		// Shutdown must not end this connection until the reply is out.
		s.tc.busy.Store(true)
		defer s.tc.busy.Store(false)
	}
	release, err := s.srv.acquireInFlight(s.ctx, s.ip, s.user)
	if err != nil {
		// The refusal goes out once the body is read (go-smtp reads it to
		// its end); read it here, within the same bounds as any body.
		if _, rerr := s.readBody(r, io.Discard); errors.Is(rerr, errDataTooSlow) {
			return rerr
		}
		return err
	}
	defer release()
	var buf bytes.Buffer
	if _, err := s.readBody(r, &buf); err != nil {
		return err
	}
	body := buf.Bytes()
	if p := s.srv.cfg.Policy; p != nil {
		if body, err = p.Data(s.ctx, env, body); err != nil {
			return fmt.Errorf("message policy: %w", err)
		}
	}
	queueID, err := s.srv.be.Submit(s.ctx, env, body)
	if err != nil {
		return fmt.Errorf("submit: %w", err)
	}
	s.log.Info("mail accepted", "from", env.From, "rcpts", len(env.Recipients),
		"size", len(body), "queue_id", queueID, "code", 250)
	// go-smtp sends an *SMTPError returned by Data as the reply, 2xx too.
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode(enhQueued),
		Message: "Ok: queued as " + clean(queueID)}
}

// readBody copies the whole message to w, at most MaxMessageBytes of it,
// within DataTimeout and at MinDataRate (pacedReader). A body too slow
// loses its slot at once and its connection after the 421.
func (s *session) readBody(r io.Reader, w io.Writer) (int64, error) {
	cfg := s.srv.cfg
	start := s.srv.now()
	pr := &pacedReader{r: r, conn: s.conn.Conn(), start: start, rate: cfg.MinDataRate, grace: cfg.DataGrace}
	if cfg.DataTimeout > 0 {
		pr.end = start.Add(cfg.DataTimeout)
	}
	// What go-smtp discards after a refusal is read within what is left of
	// DataTimeout, not at the pace's last deadline.
	defer func() { _ = s.conn.Conn().SetReadDeadline(pr.end) }()
	var src io.Reader = pr
	max := cfg.MaxMessageBytes
	if max > 0 {
		src = io.LimitReader(pr, max+1)
	}
	n, err := io.Copy(w, src)
	tooBig := &Error{Code: 552, Enhanced: enhTooBig, Message: "Message too big"}
	switch {
	case errors.Is(err, errDataTooSlow):
		if s.tc != nil {
			s.tc.closeAfterReply()
		}
		return 0, &Error{Code: 421, Enhanced: [3]int{4, 4, 2}, Err: err,
			Message: fmt.Sprintf("Message data too slow (data_timeout %v, min_data_rate %d bytes/s), closing connection", cfg.DataTimeout, cfg.MinDataRate)}
	case errors.Is(err, smtp.ErrDataTooLarge):
		return 0, tooBig
	case errors.Is(err, smtp.ErrTooLongLine):
		return 0, &Error{Code: 500, Enhanced: enhLineTooLong, Message: "Line too long", Err: err}
	case err != nil:
		return 0, &Error{Code: 451, Enhanced: [3]int{4, 4, 2}, Message: "Error reading message", Err: err}
	case max > 0 && n > max:
		return 0, tooBig
	}
	return n, nil
}

func (s *session) Reset() {
	defer func() { _ = s.reply("reset", nil, recover()) }()
	s.env = nil
}

func (s *session) Logout() error {
	s.cancel()
	return nil
}
