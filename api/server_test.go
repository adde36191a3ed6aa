package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/configs"
)

func TestTransportsAndHealth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false, nil)
	var ts struct {
		Transports []TransportView `json:"transports"`
	}
	if resp := e.call(t, "GET", "/api/v1/transports", "", nil, &ts); resp.StatusCode != 200 || len(ts.Transports) != 1 {
		t.Fatalf("transports: %d %+v", resp.StatusCode, ts)
	}
	if tr := ts.Transports[0]; tr.Name != "simulator" || tr.Up || tr.Slots != 4 {
		t.Errorf("transport %+v", tr)
	}
	var h HealthView
	if resp := e.call(t, "GET", "/healthz", "", nil, &h); resp.StatusCode != 200 || h.Status != "ok" {
		t.Errorf("healthz: %d %+v", resp.StatusCode, h)
	}
	if resp := e.call(t, "GET", "/readyz", "", nil, &h); resp.StatusCode != 503 || h.Checks["transports"] == "ok" || h.Checks["store"] != "ok" {
		t.Errorf("readyz with the transport down: %d %+v", resp.StatusCode, h)
	}
	e.sim.open.Store(true)
	if resp := e.call(t, "GET", "/readyz", "", nil, &h); resp.StatusCode != 200 || h.Status != "ok" {
		t.Errorf("readyz: %d %+v", resp.StatusCode, h)
	}
	var m MessageView
	e.call(t, "POST", "/api/v1/messages", "", map[string]any{"to": []string{"4151234567"}, "text": "x"}, &m)
	e.waitMessage(t, m.ID, func(v MessageView) bool { return v.State == "delivered" })
	e.call(t, "GET", "/api/v1/transports", "", nil, &ts)
	if tr := ts.Transports[0]; !tr.Up || tr.Throughput <= 0 {
		t.Errorf("transport after a send %+v", tr)
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false, func(_ *configs.Config, o *Options) { o.Tokens = []string{"s3cret", "other"} })
	e.wantError(t, "GET", "/api/v1/transports", "", nil, http.StatusUnauthorized, codeUnauthorized)
	e.wantError(t, "GET", "/api/v1/transports", "wrong", nil, http.StatusUnauthorized, codeUnauthorized)
	resp := e.call(t, "GET", "/api/v1/messages", "", nil, nil)
	if resp.Header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
	for _, tok := range []string{"s3cret", "other"} {
		if resp := e.call(t, "GET", "/api/v1/transports", tok, nil, nil); resp.StatusCode != 200 {
			t.Errorf("token %q: %d", tok, resp.StatusCode)
		}
	}
	for _, open := range []string{"/healthz", "/api/v1/openapi.json"} {
		if resp := e.call(t, "GET", open, "", nil, nil); resp.StatusCode != 200 {
			t.Errorf("%s without a token: %d", open, resp.StatusCode)
		}
	}
	e.wantError(t, "GET", "/metrics", "", nil, http.StatusUnauthorized, codeUnauthorized)
	if resp := e.call(t, "GET", "/metrics", "s3cret", nil, nil); resp.StatusCode != 200 {
		t.Errorf("/metrics with a token: %d", resp.StatusCode)
	}
	e.srv.Reload([]string{"new"}, nil, nil)
	e.wantError(t, "GET", "/api/v1/transports", "s3cret", nil, http.StatusUnauthorized, codeUnauthorized)
	if resp := e.call(t, "GET", "/api/v1/transports", "new", nil, nil); resp.StatusCode != 200 {
		t.Errorf("reloaded token: %d", resp.StatusCode)
	}
	// No tokens and loopback not trusted: nobody gets in.
	e.srv.Reload(nil, nil, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	e.wantError(t, "GET", "/api/v1/transports", "new", nil, http.StatusForbidden, codeForbidden)
}

func TestBearerAndTrust(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in    string
		token string
		ok    bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer  abc ", "abc", true},
		{"Basic abc", "", false},
		{"Bearer", "", false},
		{"Bearer   ", "", false},
		{"", "", false},
	} {
		if tok, ok := bearer(tc.in); tok != tc.token || ok != tc.ok {
			t.Errorf("bearer(%q) = %q %v", tc.in, tok, ok)
		}
	}
	for _, tc := range []struct {
		remote string
		ok     bool
	}{
		{"127.0.0.1:5000", true},
		{"[::1]:5000", true},
		{"[::ffff:127.0.0.1]:5000", true},
		{"192.0.2.1:5000", false},
		{"garbage", false},
	} {
		if got := clientTrusted(tc.remote, loopback); got != tc.ok {
			t.Errorf("clientTrusted(%q) = %v", tc.remote, got)
		}
	}
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false, nil)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if resp := e.call(t, "GET", "/api/v1/openapi.json", "", nil, &doc); resp.StatusCode != 200 || doc.OpenAPI == "" {
		t.Fatalf("openapi: %d %q", resp.StatusCode, doc.OpenAPI)
	}
	documented := 0
	for _, rt := range routes {
		method, path := openAPIPath(rt.pattern)
		if _, ok := doc.Paths[path][method]; !ok {
			t.Errorf("%s is not in openapi.json", rt.pattern)
		}
		documented++
	}
	if _, ok := doc.Paths["/metrics"]["get"]; !ok {
		t.Error("/metrics is not in openapi.json")
	}
	// Nothing documented that is not served.
	n := 0
	for _, ops := range doc.Paths {
		for k := range ops {
			if k != "parameters" {
				n++
			}
		}
	}
	if n != documented+1 {
		t.Errorf("openapi.json documents %d operations, the server has %d", n, documented+1)
	}
}

func TestServeStopsWithContext(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true, nil)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.srv.Serve(ctx, l) }()
	resp, err := http.Get("http://" + l.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("healthz over Serve: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
	if _, err := http.Get("http://" + l.Addr().String() + "/healthz"); err == nil {
		t.Error("still answering after Serve returned")
	}
	if _, err := New(Options{}); err == nil || errors.Is(err, context.Canceled) {
		t.Errorf("New without a gateway: %v", err)
	}
}

// TestMetricsAccess: /metrics follows the API's rule (tokens, else trusted
// networks) unless PublicMetrics is set.
func TestMetricsAccess(t *testing.T) {
	t.Parallel()
	untrusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tc := range []struct {
		name   string
		opt    func(*Options)
		status int
	}{
		{"trusted client", func(o *Options) {}, http.StatusOK},
		{"untrusted client", func(o *Options) { o.Trusted = untrusted }, http.StatusForbidden},
		{"untrusted client, public", func(o *Options) { o.Trusted, o.PublicMetrics = untrusted, true }, http.StatusOK},
		{"tokens, none given", func(o *Options) { o.Tokens = []string{"t"} }, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, false, func(_ *configs.Config, o *Options) { tc.opt(o) })
			resp := e.call(t, "GET", "/metrics", "", nil, nil)
			if resp.StatusCode != tc.status {
				t.Errorf("/metrics: %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
}
