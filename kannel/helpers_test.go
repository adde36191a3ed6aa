package kannel

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/mailout"
	"github.com/smsbridge/smsbridge/metrics"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport/simulator"
)

const (
	testUser     = "app"
	testPassword = "s3cret"
)

type nopMailer struct{}

func (nopMailer) Deliver(context.Context, *mailout.Mail) error { return nil }

type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// sink is a dlr-url server: it records every call and fails the first
// failFirst of them with 500.
type sink struct {
	*httptest.Server
	mu        sync.Mutex
	calls     []url.Values
	failFirst int
	seen      int
}

func newSink(t *testing.T, failFirst int) *sink {
	s := &sink{failFirst: failFirst}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.seen++
		if s.seen <= s.failFirst {
			http.Error(w, "try later", http.StatusInternalServerError)
			return
		}
		s.calls = append(s.calls, r.URL.Query())
	}))
	t.Cleanup(s.Close)
	return s
}

// wait returns the calls once there are n, failing after 10s.
func (s *sink) wait(t *testing.T, n int) []url.Values {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		got := append([]url.Values(nil), s.calls...)
		s.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("dlr-url called %d times, want %d: %v", len(got), n, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type testEnv struct {
	url string
	gw  *bridge.Gateway
	st  *store.DB
	sim *simulator.Simulator
}

// newEnv runs a real gateway (simulator transport failing +1555 numbers,
// store in a temporary directory), the notifier, and the sendsms server
// on a loopback listener.
func newEnv(t *testing.T) *testEnv {
	t.Helper()
	return newEnvWith(t, nil, nil)
}

// newEnvWith is newEnv with the gateway's policy pol (nil: none) and the
// server's options changed by options (when not nil).
func newEnvWith(t *testing.T, pol bridge.Policy, options func(*Options)) *testEnv {
	t.Helper()
	cfg := configs.Default()
	cfg.SMS.MaxParts = 3
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
	sim := simulator.New(simulator.Config{Name: "simulator", Delay: 10 * time.Millisecond, FailPrefixes: []string{"+1555"}, Logger: log})
	dlr := NewNotifier(st, nil, 0, log)
	dlr.retryBase = 20 * time.Millisecond
	gw, err := bridge.New(bcfg, bridge.Options{Store: st, Lanes: []bridge.Lane{{Transport: sim, Slots: 4}},
		Mailer: nopMailer{}, Logger: log, Observer: dlr.Observe(metrics.New()), Policy: pol})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Gateway: gw, Users: []User{{Name: testUser, PasswordHash: string(hash)}}, Logger: log,
		Allow: func(_ string, numbers []string) error {
			for _, n := range numbers {
				if strings.HasPrefix(n, "+4420") {
					return io.EOF // any error: this user may not send there
				}
			}
			return nil
		}}
	if options != nil {
		options(&opt)
	}
	srv := New(opt)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { gw.Run(ctx, 5*time.Second) })
	wg.Go(func() { dlr.Run(ctx) })
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		cancel()
		wg.Wait()
		st.Close()
	})
	return &testEnv{url: hs.URL, gw: gw, st: st, sim: sim}
}

// get sends a GET /cgi-bin/sendsms with v (credentials added unless v has
// them) and returns the status and body.
func (e *testEnv) get(t *testing.T, v url.Values) (int, string) {
	t.Helper()
	if _, ok := v["username"]; !ok {
		v.Set("username", testUser)
		v.Set("password", testPassword)
	}
	return e.do(t, http.MethodGet, "/cgi-bin/sendsms?"+v.Encode(), "", "", nil)
}

func (e *testEnv) do(t *testing.T, method, path, ctype, body string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range header {
		req.Header[k] = v
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
	return resp.StatusCode, string(raw)
}
