package smpp

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

// gatedConn records writes; the first write waits for the gate, so that
// other writers pile up behind it. fail makes every write fail.
type gatedConn struct {
	net.Conn
	gate   chan struct{}
	fail   bool
	mu     sync.Mutex
	writes [][]byte
}

func (c *gatedConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	first := len(c.writes) == 0
	c.writes = append(c.writes, bytes.Clone(b))
	c.mu.Unlock()
	if first {
		<-c.gate
	}
	if c.fail {
		return 0, errors.New("connection reset")
	}
	return len(b), nil
}

func (c *gatedConn) SetWriteDeadline(time.Time) error { return nil }
func (c *gatedConn) Close() error                     { return nil }

func startWriters(t *testing.T, s *session, n int) (errs chan error) {
	t.Helper()
	errs = make(chan error, n)
	for i := range n {
		go func() {
			errs <- s.write(pdu.PDU{ID: pdu.EnquireLink, Seq: uint32(i + 1)})
		}()
	}
	return errs
}

// TestWritesCombined: PDUs written while another write is under way leave
// together in the next write, each whole, none lost.
func TestWritesCombined(t *testing.T) {
	c := &gatedConn{gate: make(chan struct{})}
	s := newSession(c, transceiver, 10, time.Second, slog.New(slog.DiscardHandler))
	const n = 20
	errs := startWriters(t, s, n)
	// Let the others queue behind the first write, then release it.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		s.wmu.Lock()
		queued := len(s.wnext) / pdu.HeaderLen
		s.wmu.Unlock()
		if queued == n-1 || time.Now().After(deadline) {
			break
		}
	}
	close(c.gate)
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.writes) != 2 {
		t.Errorf("%d writes for %d PDUs, want 2 (the first, then the rest together)", len(c.writes), n)
	}
	seen := map[uint32]bool{}
	r := bytes.NewReader(bytes.Join(c.writes, nil))
	for {
		p, err := pdu.Read(r)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the written stream does not parse: %v", err)
		}
		seen[p.Seq] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct PDUs written, want %d", len(seen), n)
	}
}

// TestWriteFailureFailsWaiters: when a write fails, its writer and every
// writer waiting behind it get a writeError, and later writes fail at once.
func TestWriteFailureFailsWaiters(t *testing.T) {
	c := &gatedConn{gate: make(chan struct{}), fail: true}
	s := newSession(c, transceiver, 10, time.Second, slog.New(slog.DiscardHandler))
	const n = 5
	errs := startWriters(t, s, n)
	time.Sleep(20 * time.Millisecond)
	close(c.gate)
	for range n {
		var we *writeError
		if err := <-errs; !errors.As(err, &we) {
			t.Errorf("write error = %v, want a writeError", err)
		}
	}
	var we *writeError
	if err := s.write(pdu.PDU{ID: pdu.EnquireLink, Seq: 99}); !errors.As(err, &we) {
		t.Errorf("write after failure = %v, want a writeError", err)
	}
	select {
	case <-s.done:
	default:
		t.Error("session still up after a failed write")
	}
}
