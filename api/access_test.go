package api

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/configs"
)

func TestReadOnlyTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true, func(_ *configs.Config, o *Options) {
		o.Tokens, o.ReadOnlyTokens = []string{"full"}, []string{"look"}
	})
	if resp := e.call(t, "GET", "/api/v1/transports", "look", nil, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("GET with a read-only token: %d", resp.StatusCode)
	}
	e.wantError(t, "POST", "/api/v1/messages", "look", map[string]any{"to": []string{"4151234567"}, "text": "x"},
		http.StatusForbidden, codeForbidden)
	e.wantError(t, "POST", "/api/v1/messages/none/retry", "look", nil, http.StatusForbidden, codeForbidden)
	if resp := e.call(t, "POST", "/api/v1/messages", "full", map[string]any{"to": []string{"4151234567"}, "text": "x"}, nil); resp.StatusCode != http.StatusCreated {
		t.Errorf("POST with a full token: %d", resp.StatusCode)
	}
	for token, want := range map[string]Access{"full": FullAccess, "look": ReadAccess, "": NoAccess, "nope": NoAccess} {
		if got := e.srv.TokenAccess(token); got != want {
			t.Errorf("TokenAccess(%q) = %d, want %d", token, got, want)
		}
	}
	// Only read-only tokens still need a token: loopback is not let in.
	e.srv.Reload(nil, []string{"look"}, loopback)
	e.wantError(t, "GET", "/api/v1/transports", "", nil, http.StatusUnauthorized, codeUnauthorized)
	if a := e.srv.ClientAccess("127.0.0.1:5000"); a != NoAccess {
		t.Errorf("trusted client with tokens configured: %d", a)
	}
	e.srv.Reload(nil, nil, loopback)
	if a, b := e.srv.ClientAccess("127.0.0.1:5000"), e.srv.ClientAccess("192.0.2.1:5000"); a != FullAccess || b != NoAccess {
		t.Errorf("no tokens: trusted %d, other %d", a, b)
	}
}

// TestSendSharesTheAPIRules: Send refuses what POST /api/v1/messages
// refuses, with the same words.
func TestSendSharesTheAPIRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true, nil)
	ctx := context.Background()
	var reqErr *RequestError
	if _, err := e.srv.Send(ctx, "test", SendRequest{Text: "x"}); !errors.As(err, &reqErr) || reqErr.Msg != `"to" must name at least one number` {
		t.Errorf("no number: %v", err)
	}
	if _, err := e.srv.Send(ctx, "test", SendRequest{To: []string{"12"}, Text: "x"}); !errors.Is(err, bridge.ErrBadRecipient) {
		t.Errorf("bad number: %v", err)
	}
	id, err := e.srv.Send(ctx, "test", SendRequest{To: []string{"oncall"}, Text: "x", From: "ops@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.st.Message(id)
	if err != nil || len(m.Recipients) != 2 || m.Sender != "ops@example.com" {
		t.Errorf("sent %+v, %v", m, err)
	}
}
