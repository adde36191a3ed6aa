package smtpd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

const testDomain = "sms.test"

// fakeBackend accepts digits@sms.test, and lets a test inject faults by
// local part or by replacing submit.
type fakeBackend struct {
	mu        sync.Mutex
	submit    func(ctx context.Context, env *Envelope, data []byte) (string, error)
	envs      []*Envelope
	bodies    [][]byte
	rcptCalls int
}

type submission struct {
	env  *Envelope
	body []byte
}

func (b *fakeBackend) Recipient(ctx context.Context, env *Envelope, address string) ([]string, error) {
	b.mu.Lock()
	b.rcptCalls++
	b.mu.Unlock()
	local, domain, _ := strings.Cut(address, "@")
	switch {
	case local == "panic":
		panic("recipient exploded")
	case local == "dbfail":
		return nil, errors.New("lookup failed: secret-dsn=postgres://u:p@db")
	case local == "wrapped":
		return nil, fmt.Errorf("policy: %w", Errorf(550, [3]int{5, 1, 1}, "no such number"))
	case !strings.EqualFold(domain, testDomain):
		return nil, Errorf(550, [3]int{5, 7, 1}, "relaying denied")
	case strings.Trim(local, "+0123456789()-") != "":
		return nil, Errorf(550, [3]int{5, 1, 1}, "bad number %q", local)
	}
	return []string{"+" + strings.Trim(local, "+()-")}, nil
}

func (b *fakeBackend) Submit(ctx context.Context, env *Envelope, data []byte) (string, error) {
	b.mu.Lock()
	fn := b.submit
	b.mu.Unlock()
	if fn != nil {
		if id, err := fn(ctx, env, data); id != "" || err != nil {
			return id, err
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.envs = append(b.envs, env)
	b.bodies = append(b.bodies, append([]byte(nil), data...))
	return fmt.Sprintf("Q%d", len(b.envs)), nil
}

func (b *fakeBackend) submissions() []submission {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]submission, len(b.envs))
	for i := range b.envs {
		out[i] = submission{b.envs[i], b.bodies[i]}
	}
	return out
}

// logRecorder is a slog handler that keeps every record for assertions.
type logRecorder struct {
	mu      *sync.Mutex
	records *[]string
	attrs   []slog.Attr
}

func newLogRecorder() *logRecorder {
	return &logRecorder{mu: new(sync.Mutex), records: new([]string)}
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %s", r.Level, r.Message)
	for _, a := range h.attrs {
		fmt.Fprintf(&sb, " %s=%v", a.Key, a.Value)
	}
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&sb, " %s=%v", a.Key, a.Value)
		return true
	})
	h.mu.Lock()
	*h.records = append(*h.records, sb.String())
	h.mu.Unlock()
	return nil
}

func (h *logRecorder) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &c
}

func (h *logRecorder) WithGroup(string) slog.Handler { return h }

func (h *logRecorder) len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(*h.records)
}

// since returns the records after the first n.
func (h *logRecorder) since(n int) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), (*h.records)[n:]...)
}

// find returns the records containing every one of subs.
func (h *logRecorder) find(subs ...string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
next:
	for _, r := range *h.records {
		for _, s := range subs {
			if !strings.Contains(r, s) {
				continue next
			}
		}
		out = append(out, r)
	}
	return out
}

func loopbackOnly() []netip.Prefix {
	return []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
}

type testServer struct {
	addr string
	srv  *Server
	be   *fakeBackend
	logs *logRecorder
}

// startServer runs a server on 127.0.0.1:0 until the test ends. A zero
// cfg.TrustedNetworks means loopback is trusted.
func startServer(t testing.TB, cfg Config, be *fakeBackend) *testServer {
	t.Helper()
	if be == nil {
		be = &fakeBackend{}
	}
	if cfg.TrustedNetworks == nil {
		cfg.TrustedNetworks = loopbackOnly()
	}
	if cfg.Hostname == "" {
		cfg.Hostname = "mx.test"
	}
	logs := newLogRecorder()
	cfg.Logger = slog.New(logs)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(cfg, be)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// Some tests shut the server down themselves.
		if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return &testServer{addr: l.Addr().String(), srv: srv, be: be, logs: logs}
}

// rawClient speaks SMTP line by line so tests see exact replies.
type rawClient struct {
	t    testing.TB
	conn net.Conn
	tp   *textproto.Conn
}

func dialRaw(t testing.TB, addr string) *rawClient {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return wrapRaw(t, conn)
}

// wrapRaw reads the greeting on an open connection.
func wrapRaw(t testing.TB, conn net.Conn) *rawClient {
	t.Helper()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	c := &rawClient{t: t, conn: conn, tp: textproto.NewConn(conn)}
	t.Cleanup(func() { _ = c.tp.Close() })
	c.read(220, "")
	return c
}

// read reads one reply and checks its code and, when enh is not "", that
// its text starts with that enhanced code. It returns the text.
func (c *rawClient) read(code int, enh string) string {
	c.t.Helper()
	got, msg, err := c.tp.ReadResponse(0)
	if err != nil {
		c.t.Fatalf("reading reply: %v", err)
	}
	if got != code || !strings.HasPrefix(msg, enh) {
		c.t.Fatalf("got %d %q, want %d %s", got, msg, code, enh)
	}
	return msg
}

// do sends one command and checks its reply as read does.
func (c *rawClient) do(line string, code int, enh string) string {
	c.t.Helper()
	if err := c.tp.PrintfLine("%s", line); err != nil {
		c.t.Fatalf("sending %q: %v", line, err)
	}
	return c.read(code, enh)
}

// begin greets and opens a transaction with one good recipient.
func (c *rawClient) begin() {
	c.t.Helper()
	c.do("EHLO client.test", 250, "")
	c.do("MAIL FROM:<alice@example.com>", 250, "2.0.0")
	c.do("RCPT TO:<4151234567@"+testDomain+">", 250, "2.0.0")
}

// data sends DATA and body (dot-stuffed by textproto) and returns the code
// and text of the final reply.
func (c *rawClient) data(body string) (int, string) {
	c.t.Helper()
	c.do("DATA", 354, "")
	w := c.tp.DotWriter()
	if _, err := w.Write([]byte(body)); err != nil {
		c.t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		c.t.Fatal(err)
	}
	code, msg, err := c.tp.ReadResponse(0)
	if err != nil {
		c.t.Fatalf("reading DATA reply: %v", err)
	}
	return code, msg
}
