package smtpd

import (
	"bufio"
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// trickle starts DATA on c and then sends one byte every gap until the
// server answers or n bytes are out; it returns the reply line and whether
// the server closed the connection after it.
func trickle(t *testing.T, c *rawClient, gap time.Duration, n int) (reply string, closed bool) {
	t.Helper()
	c.do("DATA", 354, "")
	_ = c.conn.SetDeadline(time.Now().Add(20 * time.Second))
	lines := make(chan string, 2)
	go func() {
		r := bufio.NewReader(c.conn)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				close(lines)
				return
			}
			lines <- line
		}
	}()
	for range n {
		select {
		case line := <-lines:
			_, more := <-lines
			return line, !more
		case <-time.After(gap):
		}
		if _, err := c.conn.Write([]byte("x")); err != nil {
			break
		}
	}
	line := <-lines
	_, more := <-lines
	return line, !more
}

// TestTricklingBodyLosesSlot: two clients holding both DATA slots with a
// body of one byte every 100 ms are answered 421 4.4.2 and cut off once
// they fall below MinDataRate, and a client waiting for a slot gets 250.
func TestTricklingBodyLosesSlot(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{MaxInFlight: 2, InFlightWait: 5 * time.Second,
		MinDataRate: 100, DataGrace: 300 * time.Millisecond}, nil)
	var wg sync.WaitGroup
	for range 2 {
		c := dialRaw(t, ts.addr)
		c.begin()
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			reply, closed := trickle(t, c, 100*time.Millisecond, 100)
			if !strings.HasPrefix(reply, "421 4.4.2") || !strings.Contains(reply, "min_data_rate 100") || !closed {
				t.Errorf("trickling client: %q (closed %v), want 421 4.4.2 naming min_data_rate and a close", reply, closed)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("trickling client held its slot %v", d)
			}
		}()
	}
	waitFor(t, func() bool { return len(ts.srv.inFlight) == 2 })
	c := dialRaw(t, ts.addr)
	c.begin()
	if code, msg := c.data("Subject: legit\r\n\r\nhello\r\n"); code != 250 {
		t.Fatalf("legit DATA while two trickle: %d %q", code, msg)
	}
	wg.Wait()
	if n := len(ts.be.submissions()); n != 1 {
		t.Errorf("%d submissions, want only the legit one", n)
	}
}

// TestDataTimeout: a body that stops arriving is cut off at DataTimeout
// even without a minimum rate, in clear and after STARTTLS.
func TestDataTimeout(t *testing.T) {
	t.Parallel()
	srvTLS, cliTLS := tlsSetup(t)
	ts := startServer(t, Config{DataTimeout: 300 * time.Millisecond, TLS: srvTLS}, nil)
	for _, starttls := range []bool{false, true} {
		c := dialRaw(t, ts.addr)
		if starttls {
			c.do("EHLO client.test", 250, "")
			c.startTLS(cliTLS)
		}
		c.begin()
		start := time.Now()
		reply, closed := trickle(t, c, time.Second, 5)
		if !strings.HasPrefix(reply, "421 4.4.2") || !strings.Contains(reply, "data_timeout 300ms") || !closed {
			t.Fatalf("stalled body (STARTTLS %v): %q (closed %v), want 421 4.4.2 naming data_timeout", starttls, reply, closed)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("stalled body (STARTTLS %v) answered after %v", starttls, d)
		}
	}
}

// TestInFlightPerClient: with one slot per client, a second DATA from the
// same address waits InFlightWait and is refused while another address is
// served; one that is waiting when the slot comes free takes it.
func TestInFlightPerClient(t *testing.T) {
	t.Parallel()
	be, release := holdFirstSubmit()
	const wait = 500 * time.Millisecond
	ts := startServer(t, Config{MaxInFlight: 10, MaxInFlightPerClient: 1, InFlightWait: wait}, be)
	first := sendInBackground(t, ts)
	waitBusy(t, ts.srv)
	waitFor(t, func() bool { return len(ts.srv.inFlight) == 1 })
	same := dialRaw(t, ts.addr)
	same.begin()
	start := time.Now()
	code, msg := same.data("Subject: 2\r\n\r\ntwo\r\n")
	if code != 450 || !strings.HasPrefix(msg, "4.7.1") || !strings.Contains(msg, "max_inflight_per_client 1") {
		t.Fatalf("second DATA from the same address: %d %q, want 450 4.7.1 naming max_inflight_per_client", code, msg)
	}
	if d := time.Since(start); d < wait || d > 5*time.Second {
		t.Errorf("per-client refusal after %v, want after InFlightWait %v", d, wait)
	}
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 5 * time.Second}
	conn, err := d.Dial("tcp", ts.addr)
	if err != nil {
		t.Skipf("cannot dial from 127.0.0.2: %v", err)
	}
	other := wrapRaw(t, conn)
	other.begin()
	if code, msg := other.data("Subject: 3\r\n\r\nthree\r\n"); code != 250 {
		t.Fatalf("DATA from another address: %d %q", code, msg)
	}
	same.do("MAIL FROM:<alice@example.com>", 250, "")
	same.do("RCPT TO:<"+goodRcpt+">", 250, "")
	waiting := make(chan int, 1)
	go func() {
		code, _ := same.data("Subject: 4\r\n\r\nfour\r\n")
		waiting <- code
	}()
	time.Sleep(wait / 5)
	close(release)
	if code := <-first; code != 250 {
		t.Fatalf("first DATA: %d", code)
	}
	if code := <-waiting; code != 250 {
		t.Fatalf("DATA waiting for its client's slot: %d, want 250 once the slot is free", code)
	}
}

// holdFirstSubmit returns a backend whose first Submit waits until release
// is closed; later ones return at once.
func holdFirstSubmit() (be *fakeBackend, release chan struct{}) {
	release = make(chan struct{})
	var calls atomic.Int32
	be = &fakeBackend{submit: func(ctx context.Context, _ *Envelope, _ []byte) (string, error) {
		if calls.Add(1) == 1 {
			<-release
		}
		return "", nil
	}}
	return be, release
}

// sendInBackground sends one mail on a new connection and yields the code
// of the DATA reply.
func sendInBackground(t *testing.T, ts *testServer) <-chan int {
	code := make(chan int, 1)
	go func() {
		c := dialRaw(t, ts.addr)
		c.begin()
		n, _ := c.data("Subject: 1\r\n\r\none\r\n")
		code <- n
	}()
	return code
}

// TestCommandTrickle: a client sending one command byte every 100 ms never
// breaks the read timeout, but is cut off at SessionTimeout.
func TestCommandTrickle(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{ReadTimeout: 5 * time.Second, SessionTimeout: 500 * time.Millisecond}, nil)
	c := dialRaw(t, ts.addr)
	start := time.Now()
	var reply string
	r := bufio.NewReader(c.conn)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if strings.HasPrefix(line, "421") {
				reply = line
			}
		}
	}()
	cmd := strings.Repeat("NOOP\r\n", 20)
	for i := 0; i < len(cmd); i++ {
		select {
		case <-done:
		case <-time.After(100 * time.Millisecond):
			if _, err := c.conn.Write([]byte{cmd[i]}); err == nil {
				continue
			}
		}
		break
	}
	<-done
	if !strings.HasPrefix(reply, "421 4.4.2") {
		t.Fatalf("command trickle: last 421 reply %q, want 421 4.4.2", reply)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("command trickle held the connection %v", d)
	}
}
