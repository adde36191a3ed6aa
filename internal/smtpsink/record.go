package smtpsink

import (
	"bytes"
	"net"
	"strings"
	"sync"
)

// recordingListener hands out connections that keep every byte read, so
// the sink can show a test the commands and data exactly as they came.
type recordingListener struct{ net.Listener }

func (l recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &recordingConn{Conn: c}, nil
}

type recordingConn struct {
	net.Conn
	mu   sync.Mutex
	read []byte
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.read = append(c.read, p[:n]...)
	c.mu.Unlock()
	return n, err
}

func (c *recordingConn) size() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.read)
}

// transaction returns, for a DATA transaction whose data starts at mark,
// the MAIL FROM and RCPT TO lines before it and the data from mark on. It
// returns nothing for mail sent otherwise (BDAT).
func (c *recordingConn) transaction(mark int) (commands []string, wire []byte) {
	if c == nil {
		return nil, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	head := string(c.read[:mark])
	if !strings.HasSuffix(strings.ToUpper(head), "\r\nDATA\r\n") {
		return nil, nil
	}
	wire = bytes.Clone(c.read[mark:])
	lines := strings.Split(strings.TrimSuffix(head, "\r\n"), "\r\n")
	end := len(lines) - 1 // the DATA line
	i := end - 1
	for i >= 0 && hasPrefixFold(lines[i], "RCPT TO:") {
		i--
	}
	if i < 0 || !hasPrefixFold(lines[i], "MAIL FROM:") {
		return nil, wire
	}
	return lines[i:end], wire
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
