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
// are configured, else a client on a trusted network. A read-only token
// may only read (GET and HEAD).
type authenticator struct {
	state atomic.Pointer[authState]
}

type authState struct {
	tokens   [][sha256.Size]byte // digests: comparing them takes the same time whatever the token
	readOnly [][sha256.Size]byte
	trusted  []netip.Prefix
}

func digests(tokens []string) [][sha256.Size]byte {
	var out [][sha256.Size]byte
	for _, t := range tokens {
		if t != "" {
			out = append(out, sha256.Sum256([]byte(t)))
		}
	}
	return out
}

func (a *authenticator) set(tokens, readOnly []string, trusted []netip.Prefix) {
	a.state.Store(&authState{tokens: digests(tokens), readOnly: digests(readOnly),
		trusted: append([]netip.Prefix(nil), trusted...)})
}

// tokensConfigured reports whether access needs a token.
func (st *authState) tokensConfigured() bool { return len(st.tokens)+len(st.readOnly) > 0 }

// tokenAccess is what token may do.
func (st *authState) tokenAccess(token string) Access {
	d := sha256.Sum256([]byte(token))
	if matchAny(d, st.tokens) {
		return FullAccess
	}
	if matchAny(d, st.readOnly) {
		return ReadAccess
	}
	return NoAccess
}

func matchAny(d [sha256.Size]byte, set [][sha256.Size]byte) bool {
	match := 0
	for _, t := range set {
		match |= subtle.ConstantTimeCompare(d[:], t[:])
	}
	return match == 1
}

// check returns "" when r may pass, else the error code to answer.
func (a *authenticator) check(r *http.Request) string {
	st := a.state.Load()
	if !st.tokensConfigured() {
		if clientTrusted(r.RemoteAddr, st.trusted) {
			return ""
		}
		return codeForbidden
	}
	token, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		return codeUnauthorized
	}
	switch st.tokenAccess(token) {
	case FullAccess:
		return ""
	case ReadAccess:
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			return ""
		}
		return codeReadOnly
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
		case codeReadOnly:
			writeError(w, http.StatusForbidden, codeForbidden, "this token is read-only")
		default:
			w.Header().Set("WWW-Authenticate", `Bearer realm="smsbridge"`)
			writeError(w, http.StatusUnauthorized, codeUnauthorized, "a valid bearer token is required")
		}
	})
}
