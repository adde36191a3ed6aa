package smtpd

import (
	"crypto/rand"
	"errors"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"golang.org/x/crypto/bcrypt"
)

// User is one SMTP AUTH account.
type User struct {
	Name         string
	PasswordHash string // bcrypt
}

// Replies of the AUTH exchange (RFC 4954).
var (
	errEncryptionRequired = &smtp.SMTPError{Code: 538, EnhancedCode: smtp.EnhancedCode{5, 7, 11},
		Message: "Encryption required for requested authentication mechanism"}
	errAuthFailed = &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8},
		Message: "Authentication credentials invalid"}
	errAuthSyntax = &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 5, 2},
		Message: "Malformed authentication response"}
)

// strictSASL answers a response the mechanism cannot read (a PLAIN one
// without its three NUL-separated fields, one too many) with 501 5.5.2:
// go-smtp sends any other error as 454, which tells the client to try the
// same again later.
type strictSASL struct{ sasl.Server }

func (s strictSASL) Next(response []byte) ([]byte, bool, error) {
	challenge, done, err := s.Server.Next(response)
	var se *smtp.SMTPError
	if err != nil && !errors.As(err, &se) {
		err = errAuthSyntax
	}
	return challenge, done, err
}

// accounts checks user names and passwords. Unknown names are checked
// against a decoy hash so that the reply time does not tell which names
// exist; a semaphore bounds the CPU bcrypt may take at once.
type accounts struct {
	hashes map[string][]byte
	decoy  []byte
	slots  chan struct{}
}

func newAccounts(users []User, parallel int) *accounts {
	if len(users) == 0 {
		return nil
	}
	a := &accounts{hashes: make(map[string][]byte, len(users)), slots: make(chan struct{}, max(parallel, 1))}
	cost := bcrypt.DefaultCost
	for _, u := range users {
		a.hashes[u.Name] = []byte(u.PasswordHash)
		if c, err := bcrypt.Cost([]byte(u.PasswordHash)); err == nil {
			cost = c
		}
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	a.decoy, _ = bcrypt.GenerateFromPassword(secret[:32], cost)
	return a
}

// verify reports whether password is name's.
func (a *accounts) verify(name, password string) bool {
	a.slots <- struct{}{}
	defer func() { <-a.slots }()
	hash, known := a.hashes[name]
	if !known {
		hash = a.decoy
	}
	// bcrypt rejects passwords over 72 bytes; compare them anyway, so that
	// long guesses take as long as short ones.
	p := []byte(password)
	if len(p) > 72 {
		p = p[:72]
	}
	ok := bcrypt.CompareHashAndPassword(hash, p) == nil
	return ok && known && len(password) <= 72
}

// AuthMechanisms implements smtp.AuthSession: AUTH is offered only when
// there are users, and only over TLS or to a trusted client.
func (s *session) AuthMechanisms() []string {
	if !s.authAllowed() {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

func (s *session) authAllowed() bool {
	return s.srv.accounts.Load() != nil && (s.tls || s.trusted)
}

// Auth implements smtp.AuthSession.
func (s *session) Auth(mech string) (sasl.Server, error) {
	switch {
	case !s.tls && !s.trusted:
		s.log.Info("smtp auth refused", "reason", "no TLS", "mech", clean(mech))
		return nil, errEncryptionRequired
	case s.srv.accounts.Load() == nil:
		return nil, smtp.ErrAuthUnsupported
	}
	switch strings.ToUpper(mech) {
	case sasl.Plain:
		return strictSASL{sasl.NewPlainServer(func(identity, name, password string) error {
			if identity != "" && identity != name {
				return s.loginFailed(name, "authorization identity differs")
			}
			return s.login(sasl.Plain, name, password)
		})}, nil
	case sasl.Login:
		return strictSASL{&loginServer{check: func(name, password string) error {
			return s.login(sasl.Login, name, password)
		}}}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// login checks one attempt. The password is never logged.
func (s *session) login(mech, name, password string) error {
	// A reload may have removed every user since AUTH was offered.
	if a := s.srv.accounts.Load(); a == nil || !a.verify(name, password) {
		return s.loginFailed(name, "bad user name or password")
	}
	s.srv.throttle.succeed(s.ip)
	s.user = name
	s.log = s.log.With("user", name)
	s.log.Info("smtp auth", "mech", mech)
	return nil
}

// loginFailed logs a failure and answers it only after the client
// address's penalty, which grows with each failure.
func (s *session) loginFailed(name, why string) error {
	n, delay := s.srv.throttle.fail(s.ip, s.srv.now())
	s.log.Warn("smtp auth failed", "user", clean(name), "reason", why, "failures", n, "delay", delay)
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.ctx.Done():
	}
	return errAuthFailed
}
