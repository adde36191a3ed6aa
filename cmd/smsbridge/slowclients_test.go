package main

import (
	"bufio"
	"fmt"
	"net"
	"net/smtp"
	"strings"
	"sync"
	"testing"
	"time"
)

const slowClientsConfig = `
[smtp]
listen = ["%SMTP%"]
domains = ["sms.test"]

[store]
path = "%DIR%/data/smsbridge.db"

[[transports]]
name = "sim"
type = "simulator"

[receipts]
mode = "none"
maildir = "%DIR%/mail"
`

// TestTricklingClientsDoNotLockOut runs `smsbridge serve` with the default
// limits. 40 connections from two addresses each start a DATA and then
// send one byte a second: they hold at most max_inflight_per_client slots
// per address (the others wait for one, then are refused), and all are
// cut off with 421 4.4.2 once under min_data_rate. Meanwhile 12 mails from
// a third address are all accepted.
func TestTricklingClientsDoNotLockOut(t *testing.T) {
	if testing.Short() {
		t.Skip("runs about 20 s")
	}
	t.Parallel()
	dir := t.TempDir()
	smtpAddr := freePort(t)
	path := writeConfig(t, dir, strings.ReplaceAll(slowClientsConfig, "%SMTP%", smtpAddr))
	startDaemon(t, dir, smtpAddr, "-config", path)

	const perAddr = 20 // the default max_connections_per_ip
	type outcome struct {
		reply  string
		closed bool
		took   time.Duration
	}
	results := make(chan outcome, 2*perAddr)
	var started sync.WaitGroup
	for _, src := range []string{"127.0.0.2", "127.0.0.3"} {
		for range perAddr {
			c := dialFrom(t, src, smtpAddr)
			started.Add(1)
			go func() {
				reply, closed, took := trickleBody(c, sync.OnceFunc(started.Done))
				results <- outcome{reply, closed, took}
			}()
		}
	}
	started.Wait() // every trickler is inside DATA

	for i := range 12 {
		msg := fmt.Sprintf("Subject: legit %d\r\n\r\nhello\r\n", i)
		if err := smtp.SendMail(smtpAddr, nil, "ops@example.com", []string{"4155550100@sms.test"}, []byte(msg)); err != nil {
			t.Errorf("legitimate mail %d while 40 clients trickle: %v", i, err)
		}
	}

	counts := map[string]int{}
	var longest time.Duration
	for range 2 * perAddr {
		o := <-results
		longest = max(longest, o.took)
		code := o.reply
		if len(code) > 9 {
			code = code[:9]
		}
		counts[code]++
		if !o.closed {
			t.Errorf("trickling client not disconnected after %q", o.reply)
		}
		if o.took > 40*time.Second {
			t.Errorf("trickling client held on for %v", o.took)
		}
		if !strings.HasPrefix(o.reply, "421 4.4.2") {
			t.Errorf("trickling client answered %q, want 421 4.4.2", o.reply)
		}
	}
	t.Logf("trickling clients' replies: %v; the longest held on for %v", counts, longest.Round(time.Second))
}

func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", src, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// trickleBody opens a transaction on c, starts DATA (then calls ready,
// which it calls anyway on the way out), and sends one byte of body a
// second, at most 60, until the server answers. It returns that answer,
// whether the server then closed the connection, and how long it took.
func trickleBody(c net.Conn, ready func()) (reply string, closed bool, took time.Duration) {
	defer ready()
	_ = c.SetDeadline(time.Now().Add(90 * time.Second))
	r := bufio.NewReader(c)
	read := func() string {
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return "error: " + err.Error()
			}
			if len(line) < 4 || line[3] != '-' {
				return strings.TrimRight(line, "\r\n")
			}
		}
	}
	if g := read(); !strings.HasPrefix(g, "220") {
		return g, false, 0
	}
	for _, cmd := range []string{"EHLO slow.test", "MAIL FROM:<slow@example.com>", "RCPT TO:<4155550101@sms.test>", "DATA"} {
		fmt.Fprintf(c, "%s\r\n", cmd)
		if got := read(); got[0] != '2' && got[0] != '3' {
			return got, false, 0
		}
	}
	start := time.Now()
	ready()
	replies := make(chan string, 1)
	go func() { replies <- read() }()
	for range 60 {
		select {
		case reply = <-replies:
		case <-time.After(time.Second):
			if _, err := c.Write([]byte("x")); err == nil {
				continue
			}
			reply = <-replies
		}
		break
	}
	if reply == "" {
		reply = <-replies
	}
	took = time.Since(start)
	_, err := r.ReadByte()
	closed = err != nil
	return reply, closed, took
}
