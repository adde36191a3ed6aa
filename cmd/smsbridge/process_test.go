package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// smsbridgeBinary builds the command once per test run, so tests can run
// it as a real process (signals, SIGKILL, real clients).
func smsbridgeBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "smsbridge-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "smsbridge")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// freePort returns a loopback address that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// daemon is a running `smsbridge serve` child process.
type daemon struct {
	t    *testing.T
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startDaemon runs `smsbridge serve` with args in dir and waits until smtpAddr
// accepts connections.
func startDaemon(t *testing.T, dir, smtpAddr string, args ...string) *daemon {
	t.Helper()
	cmd := exec.Command(smsbridgeBinary(t), append([]string{"serve"}, args...)...)
	cmd.Dir = dir
	d := &daemon{t: t, cmd: cmd, log: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = d.log, d.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(d.done) }()
	t.Cleanup(func() {
		d.kill()
		if t.Failed() {
			t.Logf("smsbridge log:\n%s", d.log.String())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", smtpAddr, time.Second); err == nil {
			c.Close()
			return d
		}
		select {
		case <-d.done:
			t.Fatalf("smsbridge exited at start: %v\n%s", cmd.ProcessState, d.log.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("smsbridge did not listen on %s within 15s\n%s", smtpAddr, d.log.String())
	return nil
}

func (d *daemon) kill() {
	if d.cmd.ProcessState == nil {
		d.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-d.done
}

// stop sends SIGTERM and returns the exit code once the process ends.
func (d *daemon) stop(timeout time.Duration) int {
	d.t.Helper()
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
		return d.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		d.t.Fatalf("smsbridge did not stop within %v after SIGTERM", timeout)
		return -1
	}
}

// waitLog waits until the daemon's log contains s.
func (d *daemon) waitLog(ctx context.Context, s string) error {
	for !strings.Contains(d.log.String(), s) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("log never said %q", s)
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}
