package smtpd

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
