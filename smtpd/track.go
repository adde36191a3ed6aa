package smtpd

import (
	"crypto/tls"
	"io"
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
	// lifetime bounds each connection's life outside DATA; 0: no bound.
	lifetime time.Duration
}

func (l *trackingListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		tc := &trackedConn{Conn: c, set: l.set, cid: newID()}
		if l.lifetime > 0 {
			tc.end = time.Now().Add(l.lifetime)
		}
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
//
// It also holds replies back until the server next reads from the client
// (or closes), and then writes them with one system call: go-smtp flushes
// every reply line on its own (an EHLO answer is ten writes), and a
// pipelining client's MAIL, RCPT and DATA get their three replies in one
// segment. Nothing is held while the server waits for the client.
type trackedConn struct {
	net.Conn
	set *connSet
	cid string // conn_id in logs
	key netip.Prefix
	// hasKey is false when the remote address is not an IP (a pipe).
	hasKey bool
	busy   atomic.Bool
	once   sync.Once
	// end, when set, is where every read deadline outside DATA stops: a
	// client trickling commands is cut off there.
	end time.Time
	// closing makes reads end the connection once the replies held are
	// out (a DATA too slow).
	closing atomic.Bool

	wmu  sync.Mutex // Close may come from Shutdown's goroutine
	held []byte     // replies not yet written
}

// maxHeld bounds the replies held back; more is written at once.
const maxHeld = 4096

// goSMTPReplies are replies go-smtp writes itself, before a session sees
// the command, and the ones written instead on a connection in clear
// (under TLS they cannot be told apart here):
//   - a RCPT TO whose address it cannot parse (an unquoted local part with
//     spaces or parentheses, such as a phone number written
//     "(415) 555-2501") gets words that do not say what is wrong;
//   - AUTH data that is not base64 gets 454, which tells the client to try
//     the same again later, where RFC 4954 says 501.
var goSMTPReplies = map[string][]byte{
	"501 5.5.2 Was expecting RCPT arg syntax of TO:<address>\r\n": []byte("501 5.5.2 Bad recipient address syntax:" +
		" quote a local part with spaces or parentheses, as in <\"+1 415 555 2501\"@domain>," +
		" or write the number without them, as in <+14155552501@domain>\r\n"),
	"454 4.7.0 Invalid base64 data\r\n": []byte("501 5.5.2 Invalid base64 data\r\n"),
}

func (c *trackedConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	out := p
	if r, ok := goSMTPReplies[string(p)]; ok {
		out = r
	}
	if err := c.holdLocked(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// holdLocked adds p to the replies held, writing them first when p would
// overflow the buffer, and p at once when it is larger than the buffer.
func (c *trackedConn) holdLocked(p []byte) error {
	if len(c.held)+len(p) > maxHeld {
		if err := c.flushLocked(); err != nil {
			return err
		}
		if len(p) > maxHeld {
			_, err := c.Conn.Write(p)
			return err
		}
	}
	c.held = append(c.held, p...)
	return nil
}

func (c *trackedConn) Read(p []byte) (int, error) {
	if err := c.flush(); err != nil {
		return 0, err
	}
	if c.closing.Load() {
		return 0, io.EOF
	}
	return c.Conn.Read(p)
}

// closeAfterReply makes the connection end once the reply now being made
// is written: go-smtp, reading on, gets end of file.
func (c *trackedConn) closeAfterReply() { c.closing.Store(true) }

// SetReadDeadline keeps deadlines outside DATA within the connection's
// life. go-smtp sets one before each command line.
func (c *trackedConn) SetReadDeadline(t time.Time) error {
	if !c.end.IsZero() && !c.busy.Load() && (t.IsZero() || t.After(c.end)) {
		t = c.end
	}
	return c.Conn.SetReadDeadline(t)
}

// SetWriteDeadline writes what is held before a deadline that has already
// passed takes effect: crypto/tls sets one right after its close_notify to
// stop later writes, and the held 221 and the alert must still go out.
func (c *trackedConn) SetWriteDeadline(t time.Time) error {
	if !t.IsZero() && !t.After(time.Now()) {
		_ = c.flush()
	}
	return c.Conn.SetWriteDeadline(t)
}

func (c *trackedConn) SetDeadline(t time.Time) error {
	if !t.IsZero() && !t.After(time.Now()) {
		_ = c.flush()
	}
	return c.Conn.SetDeadline(t)
}

func (c *trackedConn) flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.flushLocked()
}

func (c *trackedConn) flushLocked() error {
	if len(c.held) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.held)
	c.held = c.held[:0]
	return err
}

func (c *trackedConn) Close() error {
	c.once.Do(func() { c.set.remove(c) })
	_ = c.flush() // the last reply (221, 421) is still held
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
