package smtpd

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestConnectionFlood opens many connections from one address: those over
// the cap get 421 4.7.0 and are closed at once, the others are served, and
// a freed slot can be used again.
func TestConnectionFlood(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{MaxConnsPerClient: 3}, nil)
	deadline := time.Now().Add(10 * time.Second)
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	greetings := map[string]int{}
	for range 20 {
		c, err := net.DialTimeout("tcp", ts.addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
		c.SetDeadline(deadline)
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			t.Fatalf("no greeting: %v", err)
		}
		greetings[line[:3]]++
		if strings.HasPrefix(line, "421") && !strings.HasPrefix(line, "421 4.7.0") {
			t.Errorf("refusal %q", line)
		}
	}
	if greetings["220"] != 3 || greetings["421"] != 17 {
		t.Fatalf("greetings %v, want 3×220 and 17×421", greetings)
	}
	if n := len(ts.logs.find("smtp connection refused")); n == 0 || n > 5 {
		t.Errorf("%d refusal log lines for 17 refusals, want a few", n)
	}
	open[0].Close()
	waitFor(t, func() bool {
		c := dialRawTry(ts.addr)
		if c == nil {
			return false
		}
		defer c.Close()
		line, _ := bufio.NewReader(c).ReadString('\n')
		return strings.HasPrefix(line, "220")
	})
}

func dialRawTry(addr string) net.Conn {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return nil
	}
	c.SetDeadline(time.Now().Add(2 * time.Second))
	return c
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for range 100 {
		if ok() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("condition not met within 2s")
}

// TestInFlightCap holds one DATA in the backend; a second DATA waits
// InFlightWait and gets 450 4.7.1 naming the limit.
func TestInFlightCap(t *testing.T) {
	t.Parallel()
	be, release := holdFirstSubmit()
	ts := startServer(t, Config{MaxInFlight: 1, InFlightWait: 100 * time.Millisecond}, be)
	first := sendInBackground(t, ts)
	waitBusy(t, ts.srv)
	c := dialRaw(t, ts.addr)
	c.begin()
	start := time.Now()
	code, msg := c.data("Subject: 2\r\n\r\ntwo\r\n")
	if code != 450 || !strings.HasPrefix(msg, "4.7.1") || !strings.Contains(msg, "max_in_flight 1") {
		t.Fatalf("second DATA: %d %q, want 450 4.7.1 naming max_in_flight", code, msg)
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > 5*time.Second {
		t.Errorf("second DATA answered after %v", d)
	}
	close(release)
	if code := <-first; code != 250 {
		t.Fatalf("first DATA: %d", code)
	}
	// The slot is free again.
	c.do("MAIL FROM:<a@example.com>", 250, "")
	c.do("RCPT TO:<"+goodRcpt+">", 250, "")
	if code, _ := c.data("Subject: 3\r\n\r\nthree\r\n"); code != 250 {
		t.Fatalf("third DATA: %d", code)
	}
}

// TestSlowClient: a client that stops mid-command is cut off after the
// read timeout, and one that never finishes the TLS handshake too.
func TestSlowClient(t *testing.T) {
	t.Parallel()
	srvTLS, _ := tlsSetup(t)
	ts := startServer(t, Config{ReadTimeout: 200 * time.Millisecond, TLS: srvTLS}, nil)
	c := dialRaw(t, ts.addr)
	c.do("EHLO client.test", 250, "")
	if _, err := c.conn.Write([]byte("MAIL FROM:<a@exa")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	rest, _ := bufio.NewReader(c.conn).ReadString(0) // until the server closes
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("slow client held the connection %v", d)
	}
	if !strings.Contains(rest, "421 4.4.2") {
		t.Errorf("timeout reply %q, want 421 4.4.2", rest)
	}

	c2 := dialRaw(t, ts.addr)
	c2.do("EHLO client.test", 250, "")
	c2.do("STARTTLS", 220, "")
	start = time.Now()
	c2.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	// No ClientHello is ever sent; the server gives up and closes.
	if _, err := io.ReadAll(c2.conn); err != nil || time.Since(start) > 3*time.Second {
		t.Fatalf("handshake-less client: err %v after %v", err, time.Since(start))
	}
}

func TestCommandTooLong(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{MaxLineLength: 1000}, nil)
	c := dialRaw(t, ts.addr)
	c.do("EHLO client.test", 250, "")
	// Over the limit, yet within one read of the server's buffer: a server
	// that closes on unread input sends a reset, which can destroy its own
	// 500 reply before the client reads it.
	if err := c.tp.PrintfLine("NOOP %s", strings.Repeat("x", 1500)); err != nil {
		t.Fatal(err)
	}
	code, _, err := c.tp.ReadResponse(0)
	if err != nil || code != 500 {
		t.Fatalf("over-long command: %d, %v; want 500", code, err)
	}
}
