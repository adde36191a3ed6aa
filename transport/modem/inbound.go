package modem

import (
	"fmt"

	"github.com/warthog618/sms/encoding/tpdu"
)

// Unsolicited lines. The AT driver runs each handler in a goroutine of its
// own, so they may send commands (+CNMA, +CMGR) without blocking its reader.

func (s *session) onCMT(lines []string) {
	t, err := decodePDU(lines[len(lines)-1])
	s.acknowledge("+CMT")
	if err != nil {
		s.log.Warn("unreadable incoming SMS", "line", lines[0], "err", err)
		return
	}
	s.route(t)
}

func (s *session) onCDS(lines []string) {
	t, err := decodePDU(lines[len(lines)-1])
	s.acknowledge("+CDS")
	if err != nil {
		s.log.Warn("unreadable status report", "line", lines[0], "err", err)
		return
	}
	s.route(t)
}

// acknowledge sends +CNMA; with +CSMS=1 the modem stops passing messages on
// until it gets one. A PDU we cannot read is acknowledged too: it would
// only come again.
func (s *session) acknowledge(what string) {
	if !s.ack.Load() {
		return
	}
	if _, err := s.a.Command("+CNMA"); err != nil {
		s.log.Warn("acknowledging "+what, "err", err)
	}
}

func (s *session) onCMTI(lines []string) {
	_, idx, err := parseCMTI(lines[0])
	if err != nil {
		s.log.Warn("stored-message notice", "err", err)
		return
	}
	if err := s.readStored(idx); err != nil {
		s.log.Warn("reading a stored message", "index", idx, "err", err)
	}
}

// readStored reads the message at idx, hands it on, then deletes it. An
// index already emptied by readAllStored reads as an error and is skipped.
func (s *session) readStored(idx int) error {
	s.stored.Lock()
	defer s.stored.Unlock()
	info, err := s.a.Command(fmt.Sprintf("+CMGR=%d", idx))
	if err != nil {
		return fmt.Errorf("+CMGR=%d: %w", idx, err)
	}
	list, err := parseListing(info, "+CMGR:")
	if err != nil || len(list) == 0 {
		return fmt.Errorf("+CMGR=%d answer %q: %v", idx, info, err)
	}
	s.routeHex(list[0].pdu)
	if _, err := s.a.Command(fmt.Sprintf("+CMGD=%d", idx)); err != nil {
		return fmt.Errorf("+CMGD=%d: %w", idx, err)
	}
	return nil
}

// readAllStored takes in what arrived while the modem was not watched.
func (s *session) readAllStored() error {
	s.stored.Lock()
	defer s.stored.Unlock()
	info, err := s.a.Command("+CMGL=4")
	if err != nil {
		return fmt.Errorf("+CMGL=4: %w", err)
	}
	list, err := parseListing(info, "+CMGL:")
	for _, m := range list {
		s.routeHex(m.pdu)
		if _, err := s.a.Command(fmt.Sprintf("+CMGD=%d", m.index)); err != nil {
			return fmt.Errorf("+CMGD=%d: %w", m.index, err)
		}
	}
	return err
}

func (s *session) routeHex(h string) {
	t, err := decodePDU(h)
	if err != nil {
		s.log.Warn("unreadable stored message", "err", err)
		return
	}
	s.route(t)
}

func (s *session) route(t *tpdu.TPDU) {
	switch t.SmsType() {
	case tpdu.SmsDeliver:
		s.ev.deliver(t)
	case tpdu.SmsStatusReport:
		s.ev.statusReport(t)
	default:
		s.log.Warn("unexpected message type from the modem", "type", t.SmsType().String())
	}
}
