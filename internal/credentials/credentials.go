// Package credentials checks the user names and passwords of clients that
// send them with every request or bind (Kannel's sendsms, SMPP binds)
// against the [[smtp.users]] bcrypt hashes.
package credentials

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"sync"

	"github.com/smsbridge/smsbridge/smtpd"
)

// User is one account.
type User = smtpd.User

// Accounts checks credentials. Clients that send the password with every
// request cost bcrypt's tens of milliseconds each time otherwise: a password
// once verified is remembered as an HMAC under a key of this process, so
// later requests cost a hash. Everything else (a decoy hash for unknown
// names, the bound on bcrypt at once) is smtpd.Passwords, as for AUTH.
type Accounts struct {
	passwords *smtpd.Passwords
	key       []byte

	mu       sync.Mutex
	verified map[string][]byte // name → HMAC of the password last verified
}

// New returns the Accounts of users; nil when there are none.
func New(users []User) *Accounts {
	if len(users) == 0 {
		return nil
	}
	a := &Accounts{passwords: smtpd.NewPasswords(users), key: make([]byte, 32), verified: map[string][]byte{}}
	_, _ = rand.Read(a.key)
	return a
}

// Verify reports whether password is name's; a nil Accounts knows nobody.
func (a *Accounts) Verify(name, password string) bool {
	if a == nil {
		return false
	}
	mac := hmac.New(sha256.New, a.key)
	mac.Write([]byte(password))
	sum := mac.Sum(nil)
	a.mu.Lock()
	known := a.verified[name]
	a.mu.Unlock()
	if known != nil && hmac.Equal(known, sum) {
		return true
	}
	if !a.passwords.Verify(name, password) {
		return false
	}
	a.mu.Lock()
	a.verified[name] = sum
	a.mu.Unlock()
	return true
}
