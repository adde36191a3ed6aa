package smtpd

import (
	"crypto/tls"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// connSet knows every open connection, so that Shutdown can end idle ones
// (go-smtp's own Shutdown waits for clients to leave) without cutting off a
// DATA whose reply is still to be written.
//
// It also counts connections per client, for the per-address cap.
type connSet struct {
	mu      sync.Mutex
	conns   map[*trackedConn]struct{}
	perHost map[netip.Prefix]int
}

func newConnSet() *connSet {
	return &connSet{conns: make(map[*trackedConn]struct{}), perHost: make(map[netip.Prefix]int)}
}

// add registers c unless its client already has limit connections open
// (limit 0: no cap); it reports whether c was added.
func (s *connSet) add(c *trackedConn, limit int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.hasKey && limit > 0 && s.perHost[c.key] >= limit {
		return false
	}
	s.conns[c] = struct{}{}
	if c.hasKey {
		s.perHost[c.key]++
	}
	return true
}

func (s *connSet) remove(c *trackedConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[c]; !ok {
		return
	}
	delete(s.conns, c)
	if c.hasKey {
		if s.perHost[c.key]--; s.perHost[c.key] <= 0 {
			delete(s.perHost, c.key)
		}
	}
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

// trackingListener registers each accepted connection in set, and turns
// away a client over its connection cap without handing it to go-smtp.
type trackingListener struct {
	net.Listener
	set    *connSet
	limit  int                  // connections per client; 0 = no cap
	refuse func(net.Conn, bool) // told of each refused connection
	tls    bool                 // implicit TLS: no plain-text reply possible
}

func (l *trackingListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		tc := &trackedConn{Conn: c, set: l.set, cid: newID()}
		if ip, ok := addrIP(c.RemoteAddr()); ok {
			tc.key, tc.hasKey = clientKey(ip), true
		}
		if l.set.add(tc, l.limit) {
			return tc, nil
		}
		go l.refuse(c, l.tls)
	}
}

// trackedConn is a connection with a flag saying a DATA is in progress.
type trackedConn struct {
	net.Conn
	set *connSet
	cid string // conn_id in logs
	key netip.Prefix
	// hasKey is false when the remote address is not an IP (a pipe).
	hasKey bool
	busy   atomic.Bool
	once   sync.Once
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
