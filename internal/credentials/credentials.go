// Package credentials checks the user names and passwords of clients that
// send them with every request or bind (Kannel's sendsms, SMPP binds)
// against the [[smtp.users]] bcrypt hashes.
package credentials

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"runtime"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// User is one account.
type User struct {
	Name         string
	PasswordHash string // bcrypt
}

// Accounts checks credentials. Clients that send the password with every
// request cost bcrypt's tens of milliseconds each time otherwise: a password
// once verified is remembered as an HMAC under a key of this process, so
// later requests cost a hash. Unknown names are checked against a decoy
// hash so that the answer's time does not tell which names exist; a
// semaphore bounds the CPU bcrypt may take at once.
type Accounts struct {
	hashes map[string][]byte
	decoy  []byte
	key    []byte
	slots  chan struct{}

	mu       sync.Mutex
	verified map[string][]byte // name → HMAC of the password last verified
}

// New returns the Accounts of users; nil when there are none.
func New(users []User) *Accounts {
	if len(users) == 0 {
		return nil
	}
	a := &Accounts{hashes: make(map[string][]byte, len(users)), key: make([]byte, 32), verified: map[string][]byte{},
		slots: make(chan struct{}, runtime.NumCPU())}
	_, _ = rand.Read(a.key)
	cost := bcrypt.DefaultCost
	for _, u := range users {
		a.hashes[u.Name] = []byte(u.PasswordHash)
		if c, err := bcrypt.Cost([]byte(u.PasswordHash)); err == nil {
			cost = c
		}
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	a.decoy, _ = bcrypt.GenerateFromPassword(secret, cost)
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
	a.slots <- struct{}{}
	defer func() { <-a.slots }()
	hash, ok := a.hashes[name]
	if !ok {
		hash = a.decoy
	}
	// bcrypt refuses passwords over 72 bytes; compare them anyway, so that
	// long guesses take as long as short ones.
	p := []byte(password)
	if len(p) > 72 {
		p = p[:72]
	}
	if bcrypt.CompareHashAndPassword(hash, p) != nil || !ok || len(password) > 72 {
		return false
	}
	a.mu.Lock()
	a.verified[name] = sum
	a.mu.Unlock()
	return true
}
