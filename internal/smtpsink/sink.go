// Package smtpsink is an SMTP server for tests that keeps every mail it is
// given, so a test can wait for the mail smsbridge sends (delivery reports,
// replies). It can be told to refuse mail for a while, like a smarthost that
// is down.
package smtpsink

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Mail is one message the sink accepted.
type Mail struct {
	From string
	To   []string
	Data []byte

	// For mail sent with DATA, what came on the wire: the MAIL FROM and
	// RCPT TO command lines exactly as sent (without CRLF), and the data
	// as sent, dot-stuffed, up to and including the final ".\r\n".
	Commands []string
	Wire     []byte
}

// Sink is a running SMTP sink on a loopback port.
type Sink struct {
	srv *smtp.Server
	ln  net.Listener

	mu      sync.Mutex
	mails   []Mail
	refuse  bool
	changed chan struct{}
}

// Start listens on 127.0.0.1 with a free port.
func Start() (*Sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Sink{ln: recordingListener{ln}, changed: make(chan struct{})}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "sink.localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	go s.srv.Serve(s.ln)
	return s, nil
}

// Addr is the host:port to send to.
func (s *Sink) Addr() string { return s.ln.Addr().String() }

// Close stops the server.
func (s *Sink) Close() error { return s.srv.Close() }

// SetRefuse makes the sink answer 451 to every MAIL while on.
func (s *Sink) SetRefuse(on bool) {
	s.mu.Lock()
	s.refuse = on
	s.mu.Unlock()
}

// Mails returns copies of the mails accepted so far.
func (s *Sink) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// Wait returns once at least n mails arrived, or with ctx's error.
func (s *Sink) Wait(ctx context.Context, n int) ([]Mail, error) {
	for {
		s.mu.Lock()
		if len(s.mails) >= n {
			m := append([]Mail(nil), s.mails...)
			s.mu.Unlock()
			return m, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return s.Mails(), ctx.Err()
		}
	}
}

func (s *Sink) add(m Mail) {
	s.mu.Lock()
	s.mails = append(s.mails, m)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// NewSession implements smtp.Backend.
func (s *Sink) NewSession(c *smtp.Conn) (smtp.Session, error) {
	rc, _ := c.Conn().(*recordingConn) // nil after STARTTLS, which the sink does not offer
	return &session{sink: s, rc: rc}, nil
}

type session struct {
	sink *Sink
	rc   *recordingConn
	mail Mail
}

var errRefused = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "sink refusing mail for now"}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.sink.mu.Lock()
	refuse := ss.sink.refuse
	ss.sink.mu.Unlock()
	if refuse {
		return errRefused
	}
	ss.mail = Mail{From: from}
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.mail.To = append(ss.mail.To, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	// go-smtp has sent 354 and read nothing after the DATA line yet (a
	// client sends no data before 354), so what follows mark is the data.
	mark := ss.rc.size()
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(ss.mail.To) == 0 {
		return errors.New("no recipients")
	}
	ss.mail.Data = b
	ss.mail.Commands, ss.mail.Wire = ss.rc.transaction(mark)
	ss.sink.add(ss.mail)
	return nil
}

func (ss *session) Reset()        { ss.mail = Mail{} }
func (ss *session) Logout() error { return nil }
