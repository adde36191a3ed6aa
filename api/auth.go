package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
)

// authenticator decides who may use /api/v1: a bearer token when tokens
// are configured, else a client on a trusted network.
type authenticator struct {
	state atomic.Pointer[authState]
}

type authState struct {
	tokens  [][sha256.Size]byte // digests: comparing them takes the same time whatever the token
	trusted []netip.Prefix
}

func (a *authenticator) set(tokens []string, trusted []netip.Prefix) {
	st := &authState{trusted: append([]netip.Prefix(nil), trusted...)}
	for _, t := range tokens {
		if t != "" {
			st.tokens = append(st.tokens, sha256.Sum256([]byte(t)))
		}
	}
	a.state.Store(st)
}

// check returns "" when r may pass, else the error code to answer.
func (a *authenticator) check(r *http.Request) string {
	st := a.state.Load()
	if len(st.tokens) == 0 {
		if clientTrusted(r.RemoteAddr, st.trusted) {
			return ""
		}
		return codeForbidden
	}
	token, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		return codeUnauthorized
	}
	d := sha256.Sum256([]byte(token))
	match := 0
	for _, t := range st.tokens {
		match |= subtle.ConstantTimeCompare(d[:], t[:])
	}
	if match == 1 {
		return ""
	}
	return codeUnauthorized
}

func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

func clientTrusted(remote string, trusted []netip.Prefix) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func (s *Server) authorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch s.auth.check(r) {
		case "":
			next.ServeHTTP(w, r)
		case codeForbidden:
			writeError(w, http.StatusForbidden, codeForbidden, "no API tokens are configured and this client is not on a trusted network")
		default:
			w.Header().Set("WWW-Authenticate", `Bearer realm="smsbridge"`)
			writeError(w, http.StatusUnauthorized, codeUnauthorized, "a valid bearer token is required")
		}
	})
}
