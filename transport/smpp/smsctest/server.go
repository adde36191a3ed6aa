// Package smsctest is a fake SMSC for tests, in the manner of httptest: it
// accepts SMPP 3.4 binds on loopback, records every submit_sm, answers with
// message ids, sends delivery receipts and mobile-originated SMS, and can be
// told to hold, throttle or reject submits and to drop its connections.
package smsctest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

// Options configures a Server.
type Options struct {
	Addr               string // default "127.0.0.1:0"
	SystemID, Password string // empty = accept any
	// ReceiptDelay, when > 0, makes the server send a DELIVRD receipt (text
	// and TLVs) that long after accepting a submit_sm asking for one.
	ReceiptDelay time.Duration
	// ReceiptFirst sends the receipt before the submit_sm_resp (on the same
	// connection when it is a transceiver), as some SMSCs race.
	ReceiptFirst bool
	// ReceiptIDDecimal writes the id in receipts in decimal, without the
	// receipted_message_id TLV, while submit_sm_resp ids are hexadecimal.
	ReceiptIDDecimal bool
	// ReceiptsElsewhere sends each receipt over another receiving bind of
	// the same system_id than the one that submitted, when there is one:
	// gateways sharing an account get receipts for each other's submits.
	ReceiptsElsewhere bool
	Hold              bool // accept submit_sm but never answer; see SetHold
	Logger            *slog.Logger

	// For load tests (cmd/smsbench): OnSubmit is called for every submit_sm
	// and OnReceipt for every receipt sent, on the connection's goroutine;
	// Forget keeps no submits in memory (Submits and WaitSubmits then see
	// none).
	OnSubmit  func(Submit)
	OnReceipt func()
	Forget    bool
}

// Submit is one submit_sm as received.
type Submit struct {
	Source, Dest                             string
	SourceTON, DestTON                       uint8
	ESMClass, DataCoding, RegisteredDelivery uint8
	ValidityPeriod                           string
	UDH                                      []byte
	ShortMessage                             []byte // without UDH
	TLVs                                     map[uint16][]byte
	MessageID                                string // "" when not accepted
	Status                                   uint32 // the status answered; 0 also while held
	Held                                     bool   // never answered
	SystemID                                 string
}

// Server is a running fake SMSC.
type Server struct {
	opt  Options
	ln   net.Listener
	log  *slog.Logger
	quit chan struct{}
	wg   sync.WaitGroup

	mu            sync.Mutex
	conns         map[*conn]struct{}
	submits       []Submit
	changed       chan struct{}
	hold          bool
	reject        uint32
	throttle      int
	ignoreEnquire bool
	respDelay     time.Duration // answer each submit_sm this late
	dropEvery     int           // close a connection after this many submit_sm
	nextID        uint64
	nextRef       uint16
	bindAttempts  int
	undelivered   []queued // receipts waiting for a receiver bind
	deliverResps  []uint32 // the command_status of each deliver_sm_resp
	closed        bool
}

type queued struct {
	systemID string
	sm       *pdu.SM
}

// Start listens and serves until Close.
func Start(opt Options) (*Server, error) {
	if opt.Addr == "" {
		opt.Addr = "127.0.0.1:0"
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ln, err := net.Listen("tcp", opt.Addr)
	if err != nil {
		return nil, fmt.Errorf("smsctest: %w", err)
	}
	s := &Server{
		opt: opt, ln: ln, log: opt.Logger, quit: make(chan struct{}),
		conns: make(map[*conn]struct{}), changed: make(chan struct{}),
		hold: opt.Hold, nextID: 0xA0000,
	}
	s.wg.Go(s.accept)
	return s, nil
}

// Addr is the host:port the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

func (s *Server) accept() {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		c := &conn{srv: s, nc: nc}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Go(c.serve)
	}
}

// Close stops the server and waits for its goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.quit)
	s.mu.Unlock()
	err := s.ln.Close()
	s.DropConnections()
	s.wg.Wait()
	return err
}

// DropConnections closes every client connection without unbinding.
func (s *Server) DropConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.nc.Close()
	}
}

// DeliverStatuses returns the command_status of every deliver_sm_resp the
// client sent, in order.
func (s *Server) DeliverStatuses() []uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.deliverResps)
}

// Submits returns a copy of every submit_sm received, in order.
func (s *Server) Submits() []Submit {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Submit, len(s.submits))
	for i, sub := range s.submits {
		out[i] = sub.clone()
	}
	return out
}

// WaitSubmits waits until at least n submit_sm have been received.
func (s *Server) WaitSubmits(ctx context.Context, n int) ([]Submit, error) {
	for {
		s.mu.Lock()
		got, ch := len(s.submits), s.changed
		s.mu.Unlock()
		if got >= n {
			return s.Submits(), nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return s.Submits(), fmt.Errorf("smsctest: %d of %d submits: %w", got, n, ctx.Err())
		}
	}
}

// SetHold makes the server stop (true) or resume (false) answering
// submit_sm. Submits held stay unanswered.
func (s *Server) SetHold(v bool) { s.set(func() { s.hold = v }) }

// SetReject answers every submit_sm with status; 0 stops rejecting.
func (s *Server) SetReject(status uint32) { s.set(func() { s.reject = status }) }

// Throttle answers the next n submit_sm with ESME_RTHROTTLED.
func (s *Server) Throttle(n int) { s.set(func() { s.throttle = n }) }

// SetRespDelay makes the server answer each submit_sm d after it came, as
// a loaded SMSC does, while it answers everything else at once; 0 answers
// at once again. The submit is recorded when it comes.
func (s *Server) SetRespDelay(d time.Duration) { s.set(func() { s.respDelay = d }) }

// DropEvery makes the server close each connection, without unbind, once
// it has received n submit_sm on it (the n-th is recorded, not answered);
// 0 stops it.
func (s *Server) DropEvery(n int) { s.set(func() { s.dropEvery = n }) }

// IgnoreEnquireLink stops (true) or resumes answering enquire_link.
func (s *Server) IgnoreEnquireLink(v bool) { s.set(func() { s.ignoreEnquire = v }) }

// BindAttempts counts the bind requests received, refused ones included.
func (s *Server) BindAttempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bindAttempts
}

// Bound counts the connections currently bound.
func (s *Server) Bound() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for c := range s.conns {
		if c.isBound() {
			n++
		}
	}
	return n
}

func (s *Server) set(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// ErrNoReceiver is returned by SendMO when no bind can receive.
var ErrNoReceiver = errors.New("smsctest: no receiver or transceiver bound")

func (sub Submit) clone() Submit {
	c := sub
	c.UDH = append([]byte(nil), sub.UDH...)
	c.ShortMessage = append([]byte(nil), sub.ShortMessage...)
	c.TLVs = make(map[uint16][]byte, len(sub.TLVs))
	for k, v := range sub.TLVs {
		c.TLVs[k] = append([]byte(nil), v...)
	}
	return c
}

// Text decodes the short message (or message_payload) by its data coding.
func (sub Submit) Text() string {
	b := sub.ShortMessage
	if v, ok := sub.TLVs[pdu.TagMessagePayload]; ok && len(b) == 0 {
		b = v
		if sub.ESMClass&0x40 != 0 && len(b) > 0 && int(b[0]) < len(b) {
			b = b[int(b[0])+1:]
		}
	}
	switch sub.DataCoding {
	case 0:
		return sms.DecodeGSM7(b)
	case 8:
		return sms.DecodeUCS2(b)
	}
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = rune(c)
	}
	return string(rs)
}
