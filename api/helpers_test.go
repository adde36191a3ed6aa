package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/mailout"
	"github.com/smsbridge/smsbridge/metrics"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport/simulator"
)

// gated is the simulator with a switch: while closed it is down, so the
// dispatcher leaves parts queued.
type gated struct {
	*simulator.Simulator
	open atomic.Bool
}

func (g *gated) Up() bool { return g.open.Load() }

type nopMailer struct{}

func (nopMailer) Deliver(context.Context, *mailout.Mail) error { return nil }

type testEnv struct {
	url  string
	srv  *Server
	gw   *bridge.Gateway
	st   *store.DB
	sim  *gated
	stop func()
}

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// newEnv runs a real gateway (simulator transport, store in a temporary
// directory) behind the API on a loopback listener. edit may change the
// configuration and the API options.
func newEnv(t *testing.T, open bool, edit func(*configs.Config, *Options)) *testEnv {
	t.Helper()
	cfg := configs.Default()
	cfg.SMS.MaxParts = 3
	cfg.Aliases = map[string][]string{"oncall": {"+14155550100", "+14155550101"}}
	opt := Options{Trusted: loopback}
	if edit != nil {
		edit(cfg, &opt)
	}
	bcfg, err := bridge.ConfigFrom(cfg)
	if err != nil {
		t.Fatal(err)
	}
	bcfg.RetryFloor, bcfg.RetryCeiling = 10*time.Millisecond, 50*time.Millisecond
	log := slog.New(slog.NewTextHandler(testLog{t}, nil))
	st, err := store.Open(filepath.Join(t.TempDir(), "q.db"), store.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	sim := &gated{Simulator: simulator.New(simulator.Config{Name: "simulator", Delay: 10 * time.Millisecond,
		FailPrefixes: []string{"+1555"}, Logger: log})}
	sim.open.Store(open)
	m := metrics.New()
	gw, err := bridge.New(bcfg, bridge.Options{Store: st, Lanes: []bridge.Lane{{Transport: sim, Slots: 4}},
		Mailer: nopMailer{}, Logger: log, Observer: m})
	if err != nil {
		t.Fatal(err)
	}
	m.Attach(metrics.Sources{Transports: gw.Transports, Queue: st, Route: gw.RouteOf})
	opt.Gateway, opt.Queue, opt.Metrics, opt.Throughput, opt.Logger = gw, st, m.Handler(), m.Throughput, log
	srv, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { gw.Run(ctx, 5*time.Second); close(done) }()
	hs := httptest.NewServer(srv.Handler())
	var stopped atomic.Bool
	stop := func() {
		if stopped.Swap(true) {
			return
		}
		hs.Close()
		cancel()
		<-done
		st.Close()
	}
	t.Cleanup(stop)
	return &testEnv{url: hs.URL, srv: srv, gw: gw, st: st, sim: sim, stop: stop}
}

type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// call makes one request and decodes a JSON answer into out (when not nil).
func (e *testEnv) call(t *testing.T, method, path, token string, body any, out any) *http.Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %d %q: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp
}

// wantError checks an error answer: its status and its stable JSON shape.
func (e *testEnv) wantError(t *testing.T, method, path, token string, body any, status int, code string) {
	t.Helper()
	var eb struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	resp := e.call(t, method, path, token, body, &eb)
	if resp.StatusCode != status || eb.Error.Code != code || eb.Error.Message == "" {
		t.Errorf("%s %s: %d %+v, want %d %s", method, path, resp.StatusCode, eb.Error, status, code)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
}

// waitMessage polls a message until ok says it is done, for at most 10s.
func (e *testEnv) waitMessage(t *testing.T, id string, ok func(MessageView) bool) MessageView {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var m MessageView
		if resp := e.call(t, "GET", "/api/v1/messages/"+id, "", nil, &m); resp.StatusCode != 200 {
			t.Fatalf("GET message: %d", resp.StatusCode)
		}
		if ok(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %s never got there: %+v", id, m)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
