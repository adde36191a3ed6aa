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
}

// replyError is an SMTP reply that refused a command.
type replyError struct{ line string }

func (e *replyError) Error() string { return e.line }

func dialClient(ctx context.Context, addr string) (*client, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(time.Minute))
	c := &client{conn: conn, r: bufio.NewReaderSize(conn, 4096), w: bufio.NewWriterSize(conn, 4096)}
	if err := c.expect(220); err != nil {
		conn.Close()
		return nil, err
	}
	if err := c.cmd(250, "EHLO smsbench.localhost"); err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

// cmd sends one command and checks the reply's code.
func (c *client) cmd(want int, line string) error {
	c.w.WriteString(line)
	c.w.WriteString("\r\n")
	if err := c.w.Flush(); err != nil {
		return err
	}
	return c.expect(want)
}

// expect reads one reply, multi-line or not, and checks its code.
func (c *client) expect(want int) error {
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return err
		}
		if len(line) < 4 {
			return fmt.Errorf("short reply %q", line)
		}
		if line[3] == '-' {
			continue
		}
		code := int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
		if code != want {
			return &replyError{strings.TrimRight(line, "\r\n")}
		}
		return nil
	}
}

// data sends the body (lines already CRLF-terminated and free of lone
// dots) and the final dot; before runs just before the dot goes out.
func (c *client) data(body []byte, before func()) error {
	if err := c.cmd(354, "DATA"); err != nil {
		return err
	}
	c.w.Write(body)
	before()
	c.w.WriteString(".\r\n")
	if err := c.w.Flush(); err != nil {
		return err
	}
	return c.expect(250)
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
