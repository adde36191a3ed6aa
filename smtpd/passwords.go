package smtpd

import (
	"net/netip"
	"time"
)

// Passwords checks SMTP users' passwords for other services that log them
// in (the web console), as AUTH does: unknown names take as long as known
// ones, and the bcrypt work at once is bounded.
type Passwords struct{ a *accounts }

// passwordChecksAtOnce bounds the bcrypt comparisons one Passwords runs at
// once.
const passwordChecksAtOnce = 2

// NewPasswords checks against users; with none, every check fails.
func NewPasswords(users []User) *Passwords {
	return &Passwords{a: newAccounts(users, passwordChecksAtOnce)}
}

// Verify reports whether password is name's.
func (p *Passwords) Verify(name, password string) bool {
	return p != nil && p.a != nil && p.a.verify(name, password)
}

// LoginThrottle slows a client's failed logins as AUTH is slowed: the
// answer to each failure waits longer, from DefaultAuthFailDelay doubling
// up to DefaultAuthMaxDelay, until a success or a quiet spell.
type LoginThrottle struct{ t *authThrottle }

// NewLoginThrottle starts with no failures counted.
func NewLoginThrottle() *LoginThrottle {
	return &LoginThrottle{t: newAuthThrottle(DefaultAuthFailDelay, DefaultAuthMaxDelay, authFailWindow)}
}

// Fail counts a failed login from ip and returns how long to hold its
// answer.
func (l *LoginThrottle) Fail(ip netip.Addr, now time.Time) time.Duration {
	_, d := l.t.fail(ip, now)
	return d
}

// Succeed forgets ip's failures.
func (l *LoginThrottle) Succeed(ip netip.Addr) { l.t.succeed(ip) }
