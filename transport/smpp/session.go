package smpp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

var (
	errNoResponse = errors.New("smpp: no response in time")
	errLinkDown   = errors.New("smpp: link closed")
	errUnbound    = errors.New("smpp: SMSC sent unbind")
	errStopping   = errors.New("smpp: transport stopping")
)

// writeError is a failure to write a request: the SMSC cannot have read a
// whole PDU, so the request was not accepted.
type writeError struct{ err error }

func (e *writeError) Error() string { return "smpp: write: " + e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// session is one TCP connection and its bind. Its read loop owns the
// connection's input; writes are combined (see write); requests wait for
// their response by sequence number.
type session struct {
	conn    net.Conn
	kind    bindKind
	log     *slog.Logger
	timeout time.Duration
	// onRequest handles a request from the SMSC other than enquire_link and
	// unbind (deliver_sm above all); it runs on the read loop.
	onRequest func(*session, pdu.PDU)

	seq   atomic.Uint32
	slots chan struct{} // window: one token per submit in flight
	thr   throttle      // pause after the SMSC throttles this bind
	limit *rate.Limiter // the bind's share of the account's rate; nil: none
	// suspect is set while a probe checks whether the SMSC still answers,
	// after a request went unanswered: no new submits go into a black hole.
	suspect atomic.Bool
	// worked is set once the SMSC accepted a submit or sent a deliver_sm
	// on this session: its loss is a fresh fault, not a failing bind.
	worked atomic.Bool

	// Writes: a writer that finds another writing adds its PDU to the next
	// batch and waits for it, so submits released together (a window of
	// answers arrives in one read) leave in one system call.
	wmu     sync.Mutex
	wcond   *sync.Cond // broadcast when a batch has been written
	wnext   []byte     // PDUs of batch number wbatch, not yet written
	wspare  []byte     // the last written batch's buffer, for reuse
	wbusy   bool       // a writer is writing
	wbatch  uint64
	wdone   uint64 // batches before this one are written
	werr    error  // the write that failed; every later write fails too
	wfailed uint64 // the batch whose write failed

	// onLate handles the response to a submit given up on (see giveUp),
	// with the part's key; it runs on the read loop.
	onLate func(key string, p pdu.PDU)

	mu      sync.Mutex
	pending map[uint32]chan pdu.PDU
	late    map[uint32]string // submits given up on: sequence number → part key

	done      chan struct{}
	closeOnce sync.Once
	err       error // why done was closed; read after <-done
}

func newSession(conn net.Conn, kind bindKind, window int, timeout time.Duration, log *slog.Logger) *session {
	s := &session{
		conn:    conn,
		kind:    kind,
		log:     log,
		timeout: timeout,
		slots:   make(chan struct{}, window),
		pending: make(map[uint32]chan pdu.PDU),
		late:    make(map[uint32]string),
		done:    make(chan struct{}),
	}
	s.wcond = sync.NewCond(&s.wmu)
	return s
}

// nextSeq returns a sequence number in 1..0x7FFFFFFF, as SMPP requires.
func (s *session) nextSeq() uint32 {
	for {
		if v := s.seq.Add(1) & 0x7FFFFFFF; v != 0 {
			return v
		}
	}
}

// fail closes the session once, recording why.
func (s *session) fail(err error) {
	s.closeOnce.Do(func() {
		s.err = err
		close(s.done)
		s.conn.Close()
	})
}

func (s *session) write(p pdu.PDU) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.werr != nil {
		return &writeError{s.werr}
	}
	s.wnext = p.AppendTo(s.wnext)
	mine := s.wbatch
	if !s.wbusy {
		s.flushBatches()
	}
	for s.wdone <= mine && s.werr == nil {
		s.wcond.Wait()
	}
	if s.werr != nil && mine >= s.wfailed {
		return &writeError{s.werr}
	}
	return nil
}

// flushBatches writes batches until none is waiting; wmu is held on entry
// and on return, not during the writes.
func (s *session) flushBatches() {
	s.wbusy = true
	for len(s.wnext) > 0 && s.werr == nil {
		buf, n := s.wnext, s.wbatch
		s.wnext, s.wbatch = s.wspare[:0], s.wbatch+1
		s.wmu.Unlock()
		err := s.conn.SetWriteDeadline(time.Now().Add(s.timeout))
		if err == nil {
			_, err = s.conn.Write(buf)
		}
		s.wmu.Lock()
		s.wspare = buf[:0]
		if err != nil {
			s.werr, s.wfailed = err, n
			s.wnext = nil
			s.fail(err)
		}
		s.wdone = n + 1
		s.wcond.Broadcast()
	}
	s.wbusy = false
}

// request sends a request and waits for its response. After the write
// succeeded, any error but a response means the outcome is unknown.
func (s *session) request(ctx context.Context, id uint32, body []byte) (pdu.PDU, error) {
	seq, ch, err := s.start(id, body)
	if err != nil {
		return pdu.PDU{}, err
	}
	defer s.forget(seq)
	timer := time.NewTimer(s.timeout)
	defer timer.Stop()
	select {
	case resp := <-ch:
		return resp, nil
	case <-timer.C:
		return pdu.PDU{}, fmt.Errorf("%w (%s)", errNoResponse, s.timeout)
	case <-s.done:
		return pdu.PDU{}, fmt.Errorf("%w: %w", errLinkDown, s.err)
	case <-ctx.Done():
		return pdu.PDU{}, ctx.Err()
	}
}

// start writes a request whose response will come on ch. The caller
// forgets seq once it stops waiting.
func (s *session) start(id uint32, body []byte) (seq uint32, ch chan pdu.PDU, err error) {
	seq = s.nextSeq()
	ch = make(chan pdu.PDU, 1)
	s.mu.Lock()
	s.pending[seq] = ch
	s.mu.Unlock()
	if err := s.write(pdu.PDU{ID: id, Seq: seq, Body: body}); err != nil {
		s.forget(seq)
		return 0, nil, err
	}
	return seq, ch, nil
}

// forget stops waiting for the response to seq.
func (s *session) forget(seq uint32) {
	s.mu.Lock()
	delete(s.pending, seq)
	s.mu.Unlock()
}

// readLoop reads PDUs until the connection fails.
func (s *session) readLoop() {
	r := bufio.NewReaderSize(s.conn, 16*1024)
	for {
		p, err := pdu.Read(r)
		if err != nil {
			s.fail(fmt.Errorf("smpp: read: %w", err))
			return
		}
		switch {
		case p.IsResponse():
			s.resolve(p)
		case p.ID == pdu.EnquireLink:
			s.reply(p, pdu.EnquireLinkResp, pdu.StatusOK, nil)
		case p.ID == pdu.Unbind:
			s.reply(p, pdu.UnbindResp, pdu.StatusOK, nil)
			s.fail(errUnbound)
			return
		case p.ID == pdu.AlertNotification:
			// No response is defined for alert_notification.
		case p.ID == pdu.DeliverSM && s.onRequest != nil:
			s.worked.Store(true)
			s.onRequest(s, p)
		default:
			s.reply(p, pdu.GenericNack, pdu.StatusInvCmdID, nil)
		}
	}
}

// reply answers request p; a failure closes the session, which is all the
// read loop could do about it.
func (s *session) reply(p pdu.PDU, id, status uint32, body []byte) {
	_ = s.write(pdu.PDU{ID: id, Status: status, Seq: p.Seq, Body: body})
}

// resolve hands a response (generic_nack included) to its waiting request.
func (s *session) resolve(p pdu.PDU) {
	s.mu.Lock()
	ch, ok := s.pending[p.Seq]
	delete(s.pending, p.Seq)
	key, late := s.late[p.Seq]
	delete(s.late, p.Seq)
	s.mu.Unlock()
	if late && s.onLate != nil {
		s.onLate(key, p)
		return
	}
	if !ok {
		s.log.Debug("smpp: response to no pending request", "command_id", fmt.Sprintf("0x%08X", p.ID), "seq", p.Seq)
		return
	}
	ch <- p
}

// keepAlive sends enquire_link every interval and closes the session when
// one goes unanswered.
func (s *session) keepAlive(interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		resp, err := s.request(context.Background(), pdu.EnquireLink, nil)
		if err == nil && resp.ID != pdu.EnquireLinkResp {
			err = fmt.Errorf("smpp: enquire_link answered by 0x%08X", resp.ID)
		}
		if err != nil {
			s.fail(fmt.Errorf("smpp: enquire_link: %w", err))
			return
		}
	}
}

// suspectDead stops new submits on the session at once and probes it,
// unless a probe is already running.
func (s *session) suspectDead(onAlive func()) {
	if s.suspect.CompareAndSwap(false, true) {
		go s.probe(onAlive)
	}
}

// probe sends an enquire_link after a request went unanswered. An answer
// clears the suspicion and calls onAlive; silence closes the session so
// that it is rebound.
func (s *session) probe(onAlive func()) {
	resp, err := s.request(context.Background(), pdu.EnquireLink, nil)
	if err == nil && resp.ID != pdu.EnquireLinkResp {
		err = fmt.Errorf("smpp: enquire_link answered by 0x%08X", resp.ID)
	}
	if err != nil {
		s.log.Warn("smpp: SMSC stopped answering; closing the link", "err", err)
		s.fail(fmt.Errorf("smpp: probe after a response timeout: %w", err))
		return
	}
	s.suspect.Store(false)
	onAlive()
}

// drain waits up to d for the submits in flight to finish, by taking every
// window slot.
func (s *session) drain(d time.Duration) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for range cap(s.slots) {
		select {
		case s.slots <- struct{}{}:
		case <-timer.C:
			return
		case <-s.done:
			return
		}
	}
}

// unbind ends the session politely, then closes it.
func (s *session) unbind() {
	if _, err := s.request(context.Background(), pdu.Unbind, nil); err != nil {
		s.log.Debug("smpp: unbind", "err", err)
	}
	s.fail(errLinkDown)
}
