package modem

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/transport"
	"github.com/smsbridge/smsbridge/transport/modem/modemtest"
)

type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// sim starts a simulated modem in the test's directory.
func sim(t *testing.T, cfg modemtest.Config) *modemtest.Modem {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	m, err := modemtest.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// recorder is a transport.Handler that keeps what it is told.
type recorder struct {
	mu       sync.Mutex
	changed  chan struct{}
	receipts []transport.Receipt
	inbound  []transport.Inbound
	// toRefuse is how many of the next calls are answered done(errNotKept),
	// as a gateway that cannot keep what it is given; refused counts them.
	toRefuse, refused int
}

// refuse makes the next n calls fail.
func (r *recorder) refuse(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.toRefuse = n
}

// refusing reports whether this call is to fail; under r.mu.
func (r *recorder) refusing() bool {
	if r.toRefuse == 0 {
		return false
	}
	r.toRefuse--
	r.refused++
	return true
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

func (r *recorder) HandleReceipt(rc transport.Receipt, done func(error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refusing() {
		done(errNotKept)
		return
	}
	r.receipts = append(r.receipts, rc)
	close(r.changed)
	r.changed = make(chan struct{})
	done(nil)
}

func (r *recorder) HandleInbound(in transport.Inbound, done func(error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refusing() {
		done(errNotKept)
		return
	}
	r.inbound = append(r.inbound, in)
	close(r.changed)
	r.changed = make(chan struct{})
	done(nil)
}

// wait blocks until cond holds, for at most 10 seconds.
func (r *recorder) wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		ok := cond()
		ch := r.changed
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("timed out waiting for %s: inbound %+v receipts %+v", what, r.inbound, r.receipts)
		}
	}
}

// startTransport runs a transport until the test ends and waits until it
// is up.
func startTransport(t *testing.T, cfg Config) (*Transport, *recorder) {
	tr, rec, _ := startStoppable(t, cfg)
	return tr, rec
}

// startStoppable is startTransport that can also be stopped early, as a
// process that exits.
func startStoppable(t *testing.T, cfg Config) (*Transport, *recorder, func()) {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "gsm"
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	if cfg.ReopenMin == 0 {
		cfg.ReopenMin, cfg.ReopenMax = 50*time.Millisecond, 200*time.Millisecond
	}
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = tr.Run(ctx, rec)
	}()
	stop := func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("transport did not stop within 10s")
		}
	}
	t.Cleanup(stop)
	waitUp(t, tr, len(cfg.Devices))
	return tr, rec, stop
}

// waitUp waits until n modems of tr are up.
func waitUp(t *testing.T, tr *Transport, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		up := 0
		for _, s := range tr.Modems() {
			if s.Up {
				up++
			}
		}
		if up >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("fewer than %d modems up after 30s: %+v", n, tr.Modems())
}

// parts builds the transport parts of text to one number.
func parts(t *testing.T, to, text string, mode sms.Mode, ref uint8) []*transport.Part {
	t.Helper()
	msg, err := sms.Build(text, sms.Options{Mode: mode, MaxParts: 10})
	if err != nil {
		t.Fatal(err)
	}
	var out []*transport.Part
	for i, p := range msg.Parts {
		out = append(out, &transport.Part{
			Key: fmt.Sprintf("M%d/0/%d", ref, i), To: to, Encoding: msg.Encoding, Text: p.Text, Payload: p.Payload,
			Ref: ref, Seq: p.Seq, Total: p.Total, Receipt: true,
		})
	}
	return out
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
