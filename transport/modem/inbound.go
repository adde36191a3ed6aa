package modem

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/warthog618/sms/encoding/tpdu"
)

// Unsolicited lines. The AT driver runs each handler in a goroutine of its
// own, so they may send commands (+CNMA, +CMGR) without blocking its reader.
//
// Nothing is let go of before the gateway has it: an indicated message is
// acknowledged (+CNMA) once the handler kept it and refused for now
// (+CNMA=2, the network sends it again) when it could not; a stored one is
// deleted (+CMGD) once kept and otherwise left on the SIM, to be read at
// the next listing.

// release is what the modem is owed for one message once the handler is
// done with it, kept or not. done is nil for an earlier part of a
// concatenated message that came indicated: it was acknowledged at once,
// since the modem sends nothing more until then, and waits in memory.
type release struct {
	done      func(kept bool)
	indicated bool // came as +CMT or +CDS
}

// inbox is what a modem's sessions share across reopens: the SIM storage
// indices being handled, and counts of what the modem was not told in time.
type inbox struct {
	mu   sync.Mutex
	held map[int]bool // read and handed on, not yet deleted or given back

	unacknowledged atomic.Int64 // +CMT or +CDS whose +CNMA the modem did not take
	indicationsOff atomic.Int64 // times the indications were found off
}

func newInbox() *inbox { return &inbox{held: map[int]bool{}} }

func (in *inbox) counts(st *Status) {
	st.Unacknowledged, st.IndicationsOff = int(in.unacknowledged.Load()), int(in.indicationsOff.Load())
}

// hold marks idx as being handled; false when it already is.
func (in *inbox) hold(idx int) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.held[idx] {
		return false
	}
	in.held[idx] = true
	return true
}

func (in *inbox) unhold(idx int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	delete(in.held, idx)
}

func (s *session) onCMT(lines []string) { s.onIndication("+CMT", lines) }
func (s *session) onCDS(lines []string) { s.onIndication("+CDS", lines) }

// onIndication takes a +CMT or +CDS. A PDU we cannot read is acknowledged:
// it would only come again.
func (s *session) onIndication(what string, lines []string) {
	if !s.listening.Load() {
		// Written before this session set its routing, to whoever had the
		// port before: the modem stores it once its wait for +CNMA ends,
		// and the SIM poll reads it then.
		s.log.Info(what+" from before this session; left to the modem", "line", lines[0])
		return
	}
	t, err := decodePDU(lines[len(lines)-1])
	if err != nil {
		s.log.Warn("unreadable "+what, "line", lines[0], "err", err)
		s.answer(what, true)
		return
	}
	s.route(t, release{done: func(kept bool) { s.answer(what, kept) }, indicated: true})
}

// answer sends +CNMA, or +CNMA=2 for a message not kept. With +CSMS=1 the
// modem sends nothing more until it gets one, and turns indications off
// when it comes too late; one it does not take is counted.
func (s *session) answer(what string, kept bool) {
	if !s.ack.Load() {
		if !kept {
			s.log.Error(what+" not kept, and the modem takes no refusal: lost", "sim", s.sim)
		}
		return
	}
	cmd := "+CNMA"
	if !kept {
		cmd = "+CNMA=2"
	}
	if _, err := s.a.Command(cmd); err != nil {
		n := s.in.unacknowledged.Add(1)
		s.log.Warn("the modem did not take "+cmd+" for "+what+"; it may have turned indications off", "err", err, "unacknowledged", n)
	}
}

func (s *session) onCMTI(lines []string) {
	if !s.listening.Load() {
		return // the listing at start reads it
	}
	_, idx, err := parseCMTI(lines[0])
	if err != nil {
		s.log.Warn("stored-message notice", "err", err)
		return
	}
	if err := s.readStored(idx); err != nil {
		s.log.Warn("reading a stored message", "index", idx, "err", err)
	}
}

// readStored reads the message at idx and hands it on. An index being
// handled already, or emptied by readAllStored, is skipped.
func (s *session) readStored(idx int) error {
	s.stored.Lock()
	defer s.stored.Unlock()
	if !s.in.hold(idx) {
		return nil
	}
	info, err := s.a.Command(fmt.Sprintf("+CMGR=%d", idx))
	if err != nil {
		s.in.unhold(idx)
		return fmt.Errorf("+CMGR=%d: %w", idx, err)
	}
	list, err := parseListing(info, "+CMGR:")
	if err != nil || len(list) == 0 {
		s.in.unhold(idx)
		return fmt.Errorf("+CMGR=%d answer %q: %v", idx, info, err)
	}
	s.routeStored(idx, list[0].pdu)
	return nil
}

// readAllStored takes in what the SIM holds: what arrived while the modem
// was not watched, while its indications were off, or was not kept when
// it was first read.
func (s *session) readAllStored() error {
	s.stored.Lock()
	defer s.stored.Unlock()
	info, err := s.a.Command("+CMGL=4")
	if err != nil {
		return fmt.Errorf("+CMGL=4: %w", err)
	}
	list, err := parseListing(info, "+CMGL:")
	for _, m := range list {
		if s.in.hold(m.index) {
			s.routeStored(m.index, m.pdu)
		}
	}
	return err
}

// routeStored hands on the stored message at idx (held by the caller); it
// is deleted once kept, or given back to be read again.
func (s *session) routeStored(idx int, h string) {
	rel := release{done: func(kept bool) {
		if kept {
			if err := s.delete(idx); err != nil {
				s.log.Warn("deleting a stored message that was kept; it may come again", "index", idx, "err", err)
			}
		}
		s.in.unhold(idx)
	}}
	t, err := decodePDU(h)
	if err != nil {
		s.log.Warn("unreadable stored message; deleted", "index", idx, "err", err)
		rel.done(true)
		return
	}
	s.route(t, rel)
}

func (s *session) delete(idx int) error {
	if _, err := s.a.Command(fmt.Sprintf("+CMGD=%d", idx)); err != nil {
		return fmt.Errorf("+CMGD=%d: %w", idx, err)
	}
	return nil
}

func (s *session) route(t *tpdu.TPDU, rel release) {
	switch t.SmsType() {
	case tpdu.SmsDeliver:
		s.ev.deliver(t, rel)
	case tpdu.SmsStatusReport:
		s.ev.statusReport(t, rel)
	default:
		s.log.Warn("unexpected message type from the modem", "type", t.SmsType().String())
		rel.done(true)
	}
}

// checkIndications asks how new messages and reports are routed and, when
// they are no longer indicated (an acknowledgement came too late, the
// modem was reset), turns indications on again and counts it.
func (s *session) checkIndications() error {
	info, err := s.a.Command("+CNMI?")
	if err != nil {
		return fmt.Errorf("+CNMI?: %w", err)
	}
	mt, ds, err := parseCNMI(info)
	if err != nil {
		return err
	}
	if mt == cnmiMT && ds == cnmiDS {
		return nil
	}
	n := s.in.indicationsOff.Add(1)
	s.log.Warn("the modem had turned new-message indications off; turning them on and reading the SIM",
		"mt", mt, "ds", ds, "times", n)
	// The acknowledgement mode goes with them: a modem that lost one
	// (reset behind our back) may have lost the other.
	if s.ack.Load() {
		if _, err := s.a.Command("+CSMS=1"); err != nil {
			return fmt.Errorf("+CSMS=1: %w", err)
		}
	}
	return s.indicate()
}
