package smtpd

import (
	"crypto/tls"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// connSet knows every open connection, so that Shutdown can end idle ones
// (go-smtp's own Shutdown waits for clients to leave) without cutting off a
// DATA whose reply is still to be written.
type connSet struct {
	mu    sync.Mutex
	conns map[*trackedConn]struct{}
}

func newConnSet() *connSet {
	return &connSet{conns: make(map[*trackedConn]struct{})}
}

func (s *connSet) add(c *trackedConn) {
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
}

func (s *connSet) remove(c *trackedConn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

func (s *connSet) snapshot() []*trackedConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*trackedConn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

// kickIdle makes the pending read of every connection not inside DATA time
// out now: go-smtp then answers 421 and closes. Writes are untouched, so a
// reply being written still reaches the client.
func (s *connSet) kickIdle() {
	for _, c := range s.snapshot() {
		if !c.busy.Load() {
			_ = c.SetReadDeadline(time.Now())
		}
	}
}

func (s *connSet) closeAll() {
	for _, c := range s.snapshot() {
		_ = c.Close()
	}
}

// trackingListener registers each accepted connection in set.
type trackingListener struct {
	net.Listener
	set *connSet
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, set: l.set, cid: newID()}
	l.set.add(tc)
	return tc, nil
}

// trackedConn is a connection with a flag saying a DATA is in progress.
type trackedConn struct {
	net.Conn
	set  *connSet
	cid  string // conn_id in logs
	busy atomic.Bool
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() { c.set.remove(c) })
	return c.Conn.Close()
}

// tracked finds our wrapper under what go-smtp hands a session, which is a
// *tls.Conn after STARTTLS or on an implicit-TLS listener.
func tracked(c net.Conn) *trackedConn {
	for c != nil {
		switch v := c.(type) {
		case *trackedConn:
			return v
		case *tls.Conn:
			c = v.NetConn()
		default:
			return nil
		}
	}
	return nil
}
