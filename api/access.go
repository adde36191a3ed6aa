package api

import (
	"context"
	"net/http"
)

// What other front ends served beside the API (the web console) share of
// it: who may do what, and the rules of sending.

// Access is what a credential allows.
type Access uint8

const (
	NoAccess   Access = iota
	ReadAccess        // see, change nothing
	FullAccess
)

// TokenAccess is what an API token allows.
func (s *Server) TokenAccess(token string) Access {
	if token == "" {
		return NoAccess
	}
	return s.auth.state.Load().tokenAccess(token)
}

// ClientAccess is what a client allows itself without a token: full access
// from a trusted network when no tokens are configured, as for the API.
func (s *Server) ClientAccess(remoteAddr string) Access {
	st := s.auth.state.Load()
	if !st.tokensConfigured() && clientTrusted(remoteAddr, st.trusted) {
		return FullAccess
	}
	return NoAccess
}

// Handle serves h at pattern (a ServeMux pattern) beside the API. Call it
// before Serve.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// SendRequest is a text to send from another front end.
type SendRequest struct {
	To       []string // numbers in any common form, alias names, number@domain
	Text     string
	From     string // mail address told about delivery; "" for nobody
	Priority string // urgent, normal or bulk; "" for normal
}

// RequestError is a SendRequest that breaks the rules of POST
// /api/v1/messages; its text says which.
type RequestError struct{ Msg string }

func (e *RequestError) Error() string { return e.Msg }

// Send queues req under the same rules as POST /api/v1/messages and
// returns the message id. Errors are a *RequestError or those of
// bridge.Gateway's ResolveNumbers and SendClassText.
func (s *Server) Send(ctx context.Context, source string, req SendRequest) (string, error) {
	return s.send(ctx, source, &sendRequest{To: req.To, Text: req.Text, From: req.From, Priority: req.Priority})
}

// send checks req, resolves its numbers and queues it.
func (s *Server) send(ctx context.Context, source string, req *sendRequest) (string, error) {
	if msg := s.checkSend(req); msg != "" {
		return "", &RequestError{Msg: msg}
	}
	numbers, err := s.opt.Gateway.ResolveNumbers(req.To)
	if err != nil {
		return "", err
	}
	return s.opt.Gateway.SendClassText(ctx, source, req.From, numbers, req.Text, req.class)
}
