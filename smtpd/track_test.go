package smtpd

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// writeCountingConn records each Write that reaches the network.
type writeCountingConn struct {
	net.Conn
	mu     sync.Mutex
	writes [][]byte
}

func (c *writeCountingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.writes = append(c.writes, bytes.Clone(p))
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *writeCountingConn) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.writes)
}

// countingListener hands out connections whose writes are counted.
type countingListener struct {
	net.Listener
	conns chan *writeCountingConn
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	wc := &writeCountingConn{Conn: c}
	l.conns <- wc
	return wc, nil
}

// TestRepliesHeldUntilRead: the lines of a multi-line reply, and the
// replies to pipelined commands, reach the network in one write each batch;
// the last reply is written before the connection closes.
func TestRepliesHeldUntilRead(t *testing.T) {
	t.Parallel()
	be := &fakeBackend{}
	srv := NewServer(Config{Hostname: "mx.test", TrustedNetworks: loopbackOnly(), Logger: slog.New(newLogRecorder())}, be)
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &countingListener{Listener: inner, conns: make(chan *writeCountingConn, 1)}
	go srv.Serve(l)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})

	c, err := net.Dial("tcp", inner.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	sc := <-l.conns
	reply := func() string {
		t.Helper()
		var b strings.Builder
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("read reply: %v (so far %q)", err, b.String())
			}
			b.WriteString(line)
			if len(line) < 4 || line[3] != '-' {
				return b.String()
			}
		}
	}
	step := func(send string, replies int, wantWrites int) {
		t.Helper()
		before := sc.count()
		if send == "" {
			before = 0 // the greeting may have gone out already
		} else {
			if _, err := c.Write([]byte(send)); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		for range replies {
			got = append(got, reply())
		}
		if n := sc.count() - before; n != wantWrites {
			t.Errorf("after %q: %d writes for %q, want %d", send, n, got, wantWrites)
		}
	}
	step("", 1, 1) // the greeting
	step("EHLO client.test\r\n", 1, 1)
	step("MAIL FROM:<a@example.com>\r\nRCPT TO:<"+goodRcpt+">\r\nRCPT TO:<4151234568@"+testDomain+">\r\nDATA\r\n", 4, 1)
	step("Subject: x\r\n\r\nhello\r\n.\r\nQUIT\r\n", 2, 1)
	if _, err := r.ReadByte(); err == nil {
		t.Error("connection still open after QUIT")
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	if len(be.bodies) != 1 {
		t.Errorf("%d mails submitted, want 1", len(be.bodies))
	}
}

// TestQuitOverTLS: the 221 to QUIT and TLS's close_notify reach the client
// although crypto/tls forbids further writes right after the alert.
func TestQuitOverTLS(t *testing.T) {
	t.Parallel()
	ts, cliTLS := authServer(t, Config{})
	c := dialRaw(t, ts.addr)
	c.do("EHLO client.test", 250, "")
	c.startTLS(cliTLS)
	c.do("EHLO client.test", 250, "")
	c.do("QUIT", 221, "")
	if _, err := c.conn.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("after 221: %v, want EOF (close_notify)", err)
	}
}
