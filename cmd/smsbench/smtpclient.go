package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// client is a lean SMTP client: one buffered connection, no extension
// parsing beyond what sending needs, so the load generator costs little
// next to the gateway it measures (net/smtp took twice smtp-source's CPU).
type client struct {
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
	// pipelining: the server offers PIPELINING (RFC 2920) and the run uses
	// it, so a mail's commands go out in groups as a Postfix client sends
	// them, instead of one round trip each.
	pipelining bool
	closed     bool // after a transaction that ended with QUIT
}

// replyError is an SMTP reply that refused a command.
type replyError struct{ line string }

func (e *replyError) Error() string { return e.line }

func dialClient(ctx context.Context, addr string, pipeline bool) (*client, error) {
	// No TCP keep-alive: it costs four setsockopt calls per connection,
	// and a session lasts milliseconds.
	d := net.Dialer{Timeout: 10 * time.Second, KeepAlive: -1}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(time.Minute))
	c := &client{conn: conn, r: bufio.NewReaderSize(conn, 4096), w: bufio.NewWriterSize(conn, 4096)}
	if _, err := c.read(220); err != nil {
		conn.Close()
		return nil, err
	}
	c.write("EHLO smsbench.localhost")
	if err := c.w.Flush(); err != nil {
		conn.Close()
		return nil, err
	}
	lines, err := c.read(250)
	if err != nil {
		conn.Close()
		return nil, err
	}
	for _, l := range lines {
		if len(l) > 4 && strings.EqualFold(strings.TrimSpace(l[4:]), "PIPELINING") {
			c.pipelining = pipeline
		}
	}
	return c, nil
}

func (c *client) write(line string) {
	c.w.WriteString(line)
	c.w.WriteString("\r\n")
}

// cmd sends one command and checks the reply's code.
func (c *client) cmd(want int, line string) error {
	c.write(line)
	if err := c.w.Flush(); err != nil {
		return err
	}
	_, err := c.read(want)
	return err
}

// read reads one reply, multi-line or not, and checks its code; it returns
// the reply's lines without their line ends.
func (c *client) read(want int) ([]string, error) {
	var lines []string
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		if len(line) < 4 {
			return nil, fmt.Errorf("short reply %q", line)
		}
		lines = append(lines, strings.TrimRight(line, "\r\n"))
		if line[3] == '-' {
			continue
		}
		code := int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
		if code != want {
			return nil, &replyError{lines[len(lines)-1]}
		}
		return lines, nil
	}
}

// transaction sends MAIL FROM, a RCPT TO for each address and DATA, then,
// if DATA is answered 354, the body (lines already CRLF-terminated and free
// of lone dots) and the final dot; before runs just before the dot goes
// out. With quit, QUIT follows the dot in the same write, as RFC 2920
// allows a client that is done, and the connection is closed after.
//
// It returns the addresses of an accepted mail and the first refusal; a
// refused RCPT does not stop the others. err is an I/O or protocol error,
// after which the connection is unusable.
func (c *client) transaction(from string, to []string, body []byte, before func(), quit bool) (accepted []string, refusal, err error) {
	// note keeps the first refusal and passes any other error on.
	note := func(e error) error {
		if !isReply(e) {
			return e
		}
		if refusal == nil {
			refusal = e
		}
		return nil
	}
	var rcptErrs []error
	if c.pipelining {
		c.write("MAIL FROM:<" + from + ">")
		for _, a := range to {
			c.write("RCPT TO:<" + a + ">")
		}
		c.write("DATA")
		if err := c.w.Flush(); err != nil {
			return nil, nil, err
		}
		if _, err := c.read(250); note(err) != nil {
			return nil, nil, err
		}
		for range to {
			_, rerr := c.read(250)
			rcptErrs = append(rcptErrs, rerr)
		}
	} else {
		if err := c.cmd(250, "MAIL FROM:<"+from+">"); err != nil {
			err = note(err)
			return nil, refusal, err
		}
		for _, a := range to {
			rcptErrs = append(rcptErrs, c.cmd(250, "RCPT TO:<"+a+">"))
		}
	}
	var maybe []string
	for i, rerr := range rcptErrs {
		if rerr == nil {
			maybe = append(maybe, to[i])
		} else if err := note(rerr); err != nil {
			return nil, nil, err
		}
	}
	if !c.pipelining {
		if len(maybe) == 0 {
			return nil, refusal, nil
		}
		c.write("DATA")
		if err := c.w.Flush(); err != nil {
			return nil, nil, err
		}
	}
	if _, err := c.read(354); err != nil {
		err = note(err)
		return nil, refusal, err
	}
	c.w.Write(body)
	before()
	c.write(".")
	if quit {
		c.write("QUIT")
	}
	if err := c.w.Flush(); err != nil {
		return nil, nil, err
	}
	_, derr := c.read(250)
	if err := note(derr); err != nil {
		return nil, nil, err
	}
	if derr == nil {
		accepted = maybe
	}
	if quit {
		_, err := c.read(221)
		c.conn.Close()
		c.closed = true
		if err != nil && !isReply(err) {
			return accepted, refusal, err
		}
	}
	return accepted, refusal, nil
}

func (c *client) reset() error { return c.cmd(250, "RSET") }

func (c *client) quit() {
	c.cmd(221, "QUIT")
	c.conn.Close()
}

func isReply(err error) bool {
	var re *replyError
	return errors.As(err, &re)
}
