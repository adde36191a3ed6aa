package smsctest

import (
	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

// MO describes a mobile-originated SMS for SendMOWith.
type MO struct {
	From, To string // From "+digits" is sent as an international number
	Text     string
	// SAR carries concatenation in SAR TLVs instead of a UDH; Ref16 uses the
	// 16-bit reference UDH element.
	SAR, Ref16 bool
	// Reverse sends the parts of a long message last first.
	Reverse bool
}

// SendMO sends text as deliver_sm to a bound receiver or transceiver,
// split into concatenated parts (UDH, 8-bit reference) when it is long.
func (s *Server) SendMO(from, to, text string) error {
	return s.SendMOWith(MO{From: from, To: to, Text: text})
}

// SendMOWith sends m as one or more deliver_sm.
func (s *Server) SendMOWith(m MO) error {
	s.mu.Lock()
	var target *conn
	for c := range s.conns {
		if c.canReceive() {
			target = c
			break
		}
	}
	s.nextRef++
	ref := s.nextRef
	s.mu.Unlock()
	if target == nil {
		return ErrNoReceiver
	}
	dc, chunks := split(m.Text)
	for i := range chunks {
		if m.Reverse {
			i = len(chunks) - 1 - i
		}
		target.deliver(moPart(m, dc, chunks[i], ref, i+1, len(chunks)))
	}
	return nil
}

func moPart(m MO, dc byte, chunk []byte, ref uint16, seq, total int) *pdu.SM {
	sm := &pdu.SM{DataCoding: dc, Source: m.From, DestTON: 3, Dest: m.To, ShortMessage: chunk}
	if len(m.From) > 1 && m.From[0] == '+' {
		sm.SourceTON, sm.SourceNPI, sm.Source = 1, 1, m.From[1:]
	}
	switch {
	case total == 1:
	case m.SAR:
		sm.TLVs = []pdu.TLV{
			pdu.Uint16TLV(pdu.TagSARMsgRefNum, ref),
			pdu.Uint8TLV(pdu.TagSARTotalSegments, uint8(total)),
			pdu.Uint8TLV(pdu.TagSARSegmentSeqnum, uint8(seq)),
		}
	case m.Ref16:
		sm.ESMClass = 0x40
		udh := []byte{0x06, 0x08, 0x04, byte(ref >> 8), byte(ref), byte(total), byte(seq)}
		sm.ShortMessage = append(udh, chunk...)
	default:
		sm.ESMClass = 0x40
		sm.ShortMessage = append(sms.UDH(uint8(ref), seq, total), chunk...)
	}
	return sm
}

// split encodes text as GSM-7 septets (unpacked) or UCS-2 and cuts it into
// parts that fit one SMS each, never inside an escape pair or a character.
func split(text string) (dc byte, chunks [][]byte) {
	var units [][]byte
	single, multi := 160, 153
	if sms.IsGSM7(text) {
		for _, r := range text {
			b, _ := sms.EncodeGSM7(string(r))
			units = append(units, b)
		}
	} else {
		dc, single, multi = 8, 140, 134
		for _, r := range text {
			units = append(units, sms.EncodeUCS2(string(r)))
		}
	}
	total := 0
	for _, u := range units {
		total += len(u)
	}
	limit := multi
	if total <= single {
		limit = single
	}
	var cur []byte
	for _, u := range units {
		if len(cur)+len(u) > limit {
			chunks = append(chunks, cur)
			cur = nil
		}
		cur = append(cur, u...)
	}
	return dc, append(chunks, cur)
}
