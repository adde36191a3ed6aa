package console

import (
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/api"
)

type loginPage struct {
	CSRF    string
	Error   string
	Trusted bool // no credentials needed from this client
}

func (c *Console) loginForm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if _, ok := c.sessionOf(r); ok {
		http.Redirect(w, r, Prefix, http.StatusSeeOther)
		return
	}
	c.showLogin(w, r, http.StatusOK, "")
}

func (c *Console) showLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	token := randomToken()
	setCookie(w, r, loginCookie, token, int(time.Hour/time.Second))
	c.render(w, status, "login", loginPage{CSRF: token, Error: msg,
		Trusted: c.opt.Access.ClientAccess(r.RemoteAddr) != api.NoAccess})
}

// login takes a token, or an SMTP user and password, or nothing from a
// trusted client when no tokens are configured.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	ck, err := r.Cookie(loginCookie)
	if err != nil || !c.csrfOK(w, r, ck.Value) {
		c.showLogin(w, r, http.StatusForbidden, "The login form had expired. Please try again.")
		return
	}
	user := strings.TrimSpace(r.PostForm.Get("user"))
	secret := r.PostForm.Get("password")
	var s session
	switch {
	case user != "":
		if c.users.Load().passwords.Verify(user, secret) {
			s = session{kind: byPassword, user: user}
		}
	case secret != "":
		if c.opt.Access.TokenAccess(secret) != api.NoAccess {
			s = session{kind: byToken, token: secret}
		}
	default:
		if c.opt.Access.ClientAccess(r.RemoteAddr) != api.NoAccess {
			s = session{kind: byTrust}
		}
	}
	ip := clientIP(r.RemoteAddr)
	if s.kind == 0 {
		delay := c.throttle.Fail(ip, c.opt.Now())
		c.log.Warn("console login failed", "client", r.RemoteAddr, "user", user, "delay", delay)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
		}
		t.Stop()
		c.showLogin(w, r, http.StatusUnauthorized, "That token, or user name and password, is not right.")
		return
	}
	c.throttle.Succeed(ip)
	ns := c.sessions.create(s)
	c.log.Info("console login", "client", r.RemoteAddr, "who", ns.who())
	setCookie(w, r, loginCookie, "", -1)
	setCookie(w, r, sessionCookie, ns.id, 0)
	http.Redirect(w, r, Prefix, http.StatusSeeOther)
}

// clientIP is the address of a request's client (the zero Addr when it
// cannot be read: such clients share one count of failures).
func clientIP(remoteAddr string) netip.Addr {
	if ap, err := netip.ParseAddrPort(remoteAddr); err == nil {
		return ap.Addr().Unmap()
	}
	ip, _ := netip.ParseAddr(remoteAddr)
	return ip.Unmap()
}

// logout ends the session; it needs the session's CSRF token so that
// another site cannot log the operator out.
func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	v, ok := c.sessionOf(r)
	if ok && c.csrfOK(w, r, v.s.csrf) {
		c.sessions.end(v.s.id)
		c.log.Info("console logout", "who", v.s.who())
	} else if ok {
		http.Error(w, "the form is stale: reload the page and try again", http.StatusForbidden)
		return
	}
	setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, Prefix+"login", http.StatusSeeOther)
}
