package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/configs"
)

// testLogger writes the gateway's log into the test's log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// writeConfig writes a configuration file into dir; %DIR% in text stands
// for dir.
func writeConfig(t *testing.T, dir, text string) string {
	t.Helper()
	path := filepath.Join(dir, "smsbridge.toml")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(text, "%DIR%", dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startGateway runs the gateway in-process on the given configuration file
// and returns its SMTP address. It stops when the test ends.
func startGateway(t *testing.T, configPath string) string {
	t.Helper()
	addr, stop := runTestGateway(t, configPath)
	t.Cleanup(stop)
	return addr
}

// runTestGateway is startGateway with the stop left to the caller, for
// tests that restart the gateway. stop may be called more than once.
func runTestGateway(t *testing.T, configPath string) (string, func()) {
	t.Helper()
	cfg, err := configs.Load(configPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan []net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- runGateway(ctx, cfg, testLogger(t), func(a []net.Addr) { addrs <- a }) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("gateway: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("gateway did not stop within 30s")
			}
		})
	}
	select {
	case a := <-addrs:
		return a[0].String(), stop
	case err := <-done:
		t.Fatalf("gateway did not start: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("gateway did not start within 10s")
	}
	return "", stop
}

// rawSMTP is a minimal SMTP client for checking exact reply codes.
type rawSMTP struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dialSMTP(t *testing.T, addr string) *rawSMTP {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	s := &rawSMTP{t: t, conn: c, r: bufio.NewReader(c)}
	if greet := s.reply(); !strings.HasPrefix(greet, "220") {
		t.Fatalf("greeting %q", greet)
	}
	return s
}

// cmd sends one command line and returns the reply's last line.
func (s *rawSMTP) cmd(format string, args ...any) string {
	s.t.Helper()
	if _, err := fmt.Fprintf(s.conn, format+"\r\n", args...); err != nil {
		s.t.Fatal(err)
	}
	return s.reply()
}

// data sends DATA, the body (dot-stuffed) and the final dot.
func (s *rawSMTP) data(body string) string {
	s.t.Helper()
	if r := s.cmd("DATA"); !strings.HasPrefix(r, "354") {
		return r
	}
	body = strings.ReplaceAll(body, "\r\n", "\n")
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		if strings.HasPrefix(line, ".") {
			b.WriteString(".")
		}
		b.WriteString(line + "\r\n")
	}
	b.WriteString(".\r\n")
	if _, err := io.WriteString(s.conn, b.String()); err != nil {
		s.t.Fatal(err)
	}
	return s.reply()
}

func (s *rawSMTP) reply() string {
	s.t.Helper()
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			s.t.Fatalf("reading reply: %v (got %q)", err, line)
		}
		line = strings.TrimRight(line, "\r\n")
		if len(line) < 4 || line[3] != '-' {
			return line
		}
	}
}
