package pdu

import "encoding/binary"

// Concat is the concatenation information of one segment of a long SMS:
// from a UDH element (IEI 0x00 with an 8-bit reference, 0x08 with a 16-bit
// one) or the SAR TLVs.
type Concat struct {
	Ref        uint16
	Total, Seq int
}

// ParseUDH reads a user data header at the start of b. It returns the
// concatenation element if there is one (ok: in range), the rest of b after
// the header, and whether the header itself was well formed.
func ParseUDH(b []byte) (c Concat, ok bool, rest []byte, valid bool) {
	if len(b) == 0 || int(b[0])+1 > len(b) {
		return Concat{}, false, b, false
	}
	hdr, rest := b[1:int(b[0])+1], b[int(b[0])+1:]
	for len(hdr) >= 2 {
		iei, n := hdr[0], int(hdr[1])
		if 2+n > len(hdr) {
			return Concat{}, false, rest, false
		}
		v := hdr[2 : 2+n]
		switch {
		case iei == 0x00 && n == 3:
			c, ok = Concat{Ref: uint16(v[0]), Total: int(v[1]), Seq: int(v[2])}, true
		case iei == 0x08 && n == 4:
			c, ok = Concat{Ref: binary.BigEndian.Uint16(v), Total: int(v[2]), Seq: int(v[3])}, true
		}
		hdr = hdr[2+n:]
	}
	return c, ok && c.Total > 0 && c.Seq >= 1 && c.Seq <= c.Total, rest, true
}

// SARConcat reads the SAR TLVs of a submit_sm or deliver_sm (ok: all three
// there and in range).
func SARConcat(sm *SM) (Concat, bool) {
	ref, ok1 := sm.TLV(TagSARMsgRefNum)
	tot, ok2 := sm.TLV(TagSARTotalSegments)
	seq, ok3 := sm.TLV(TagSARSegmentSeqnum)
	if !ok1 || !ok2 || !ok3 {
		return Concat{}, false
	}
	r, _ := UintValue(ref)
	n, _ := UintValue(tot)
	s, _ := UintValue(seq)
	c := Concat{Ref: uint16(r), Total: int(n), Seq: int(s)}
	return c, c.Total > 0 && c.Seq >= 1 && c.Seq <= c.Total
}
