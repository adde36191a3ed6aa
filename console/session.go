package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/smsbridge/smsbridge/api"
)

const (
	sessionCookie = "smsbridge_session"
	// loginCookie carries the login form's CSRF token before there is a
	// session (the double-submit pattern).
	loginCookie     = "smsbridge_login"
	sessionLifetime = 12 * time.Hour
	// maxSessions bounds the memory logins can take; the oldest go first.
	maxSessions = 10_000
)

// How a session logged in; its access is looked up again on every request,
// so a token or user taken out of the configuration ends the session.
type loginKind uint8

const (
	byToken loginKind = iota + 1
	byPassword
	byTrust // no tokens configured and a trusted client, as for the API
)

type session struct {
	id      string
	csrf    string
	kind    loginKind
	token   string // byToken
	user    string // byPassword
	expires time.Time
}

// who names the session's login in logs, never with its secret.
func (s *session) who() string {
	switch s.kind {
	case byPassword:
		return "user " + s.user
	case byToken:
		return "token"
	}
	return "trusted client"
}

// sessions are kept in memory: a restart logs everyone out.
type sessions struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*session
}

func newSessions(now func() time.Time) *sessions {
	return &sessions{now: now, m: map[string]*session{}}
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported systems
	return base64.RawURLEncoding.EncodeToString(b)
}

func (ss *sessions) create(s session) *session {
	now := ss.now()
	s.id, s.csrf, s.expires = randomToken(), randomToken(), now.Add(sessionLifetime)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.m) >= maxSessions {
		var oldest *session
		for _, x := range ss.m {
			if x.expires.Before(now) {
				delete(ss.m, x.id)
			} else if oldest == nil || x.expires.Before(oldest.expires) {
				oldest = x
			}
		}
		if len(ss.m) >= maxSessions && oldest != nil {
			delete(ss.m, oldest.id)
		}
	}
	ss.m[s.id] = &s
	return &s
}

func (ss *sessions) get(id string) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.m[id]
	if s == nil {
		return nil
	}
	if !ss.now().Before(s.expires) {
		delete(ss.m, id)
		return nil
	}
	return s
}

func (ss *sessions) end(id string) {
	ss.mu.Lock()
	delete(ss.m, id)
	ss.mu.Unlock()
}

// access is what s may do now.
func (c *Console) access(s *session, r *http.Request) api.Access {
	switch s.kind {
	case byToken:
		return c.opt.Access.TokenAccess(s.token)
	case byPassword:
		u := c.users.Load()
		switch {
		case !u.known[s.user]:
			return api.NoAccess
		case u.operators[s.user]:
			return api.FullAccess
		}
		return api.ReadAccess
	case byTrust:
		return c.opt.Access.ClientAccess(r.RemoteAddr)
	}
	return api.NoAccess
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: Prefix, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

func sameSecret(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// viewer is the logged-in request's session and access.
type viewer struct {
	s      *session
	access api.Access
}

// CanWrite tells templates whether to show forms that change things.
func (v viewer) CanWrite() bool { return v.access == api.FullAccess }

// CSRF is the token every form of the session carries.
func (v viewer) CSRF() string { return v.s.csrf }

// Who names the login for the page's header.
func (v viewer) Who() string { return v.s.who() }

// sessionOf finds the request's live session and what it may do.
func (c *Console) sessionOf(r *http.Request) (viewer, bool) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return viewer{}, false
	}
	s := c.sessions.get(ck.Value)
	if s == nil {
		return viewer{}, false
	}
	a := c.access(s, r)
	if a == api.NoAccess {
		c.sessions.end(s.id)
		return viewer{}, false
	}
	return viewer{s: s, access: a}, true
}

// page is a handler for a logged-in viewer.
type page func(w http.ResponseWriter, r *http.Request, v viewer)

// read wraps a page that changes nothing: any login may see it; without
// one the browser goes to the login page.
func (c *Console) read(p page) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		v, ok := c.sessionOf(r)
		if !ok {
			http.Redirect(w, r, Prefix+"login", http.StatusSeeOther)
			return
		}
		p(w, r, v)
	})
}

// write wraps a POST that changes something: it needs a login with full
// access and the session's CSRF token.
func (c *Console) write(p page) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		v, ok := c.sessionOf(r)
		if !ok {
			http.Error(w, "log in first", http.StatusUnauthorized)
			return
		}
		if !c.csrfOK(w, r, v.s.csrf) {
			http.Error(w, "the form is stale or not from this console: reload the page and try again", http.StatusForbidden)
			return
		}
		if !v.CanWrite() {
			http.Error(w, "this login is read-only", http.StatusForbidden)
			return
		}
		p(w, r, v)
	})
}

// csrfOK checks the form's token and, when the browser tells it, that the
// request comes from this origin.
func (c *Console) csrfOK(w http.ResponseWriter, r *http.Request, want string) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" && !sameOrigin(o, r) {
		return false
	}
	return sameSecret(r.PostForm.Get("csrf"), want)
}

func sameOrigin(origin string, r *http.Request) bool {
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	return origin == scheme+r.Host
}

// maxFormBytes bounds a form's body: an SMS text and its numbers fit.
const maxFormBytes = 64 << 10
