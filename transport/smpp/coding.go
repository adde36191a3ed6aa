package smpp

import (
	"fmt"

	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/transport"
)

// gsmCR pads packed GSM-7 whose last octet has seven spare bits: an SMSC
// that counts septets from octets would read seven zero bits as '@'
// (3GPP TS 23.038 §6.1.2.3.1 asks for CR there).
const gsmCR = 0x0D

// coding is how one part travels: its data_coding and its user data as
// octets. udh, when set, is the concatenation header the user data must
// start with; packed GSM-7 then needs fill bits after it.
type coding struct {
	dc     byte
	packed bool
	data   []byte // without UDH: septets, UCS-2 or ASCII octets
}

// codingOf picks the data_coding and octets of p as cfg asks.
func codingOf(cfg *Config, p *transport.Part) (coding, error) {
	switch p.Encoding {
	case sms.UCS2:
		return coding{dc: dcUCS2, data: p.Payload}, nil
	case sms.GSM7:
		return coding{dc: dcDefault, packed: cfg.GSM7Coding == "packed", data: p.Payload}, nil
	case sms.ASCII:
		return asciiCoding(cfg, p)
	}
	return coding{}, fmt.Errorf("unknown encoding %v", p.Encoding)
}

// asciiCoding carries an ASCII part as GSM-7 or, for SMSCs that take it so,
// as IA5 or Latin-1 octets; both are ASCII for ASCII text.
func asciiCoding(cfg *Config, p *transport.Part) (coding, error) {
	var dc byte
	switch cfg.ASCIICoding {
	case "ia5":
		dc = dcIA5
	case "latin1":
		dc = dcLatin1
	default:
		return coding{dc: dcDefault, packed: cfg.GSM7Coding == "packed", data: p.Payload}, nil
	}
	text := sms.DecodeGSM7(p.Payload)
	data := make([]byte, 0, len(text))
	for _, r := range text {
		if r >= 0x80 {
			return coding{}, fmt.Errorf("ascii part holds %q, which is not ASCII", r)
		}
		data = append(data, byte(r))
	}
	return coding{dc: dc, data: data}, nil
}

// userData returns the octets of the short message: udh (may be nil)
// followed by the data, packed with fill bits when the coding says so.
func (c coding) userData(udh []byte) []byte {
	if !c.packed {
		return append(append([]byte(nil), udh...), c.data...)
	}
	return packAfter(udh, c.data)
}

// packAfter packs septets after a header of len(udh) octets. The septets
// start on the next septet boundary (GSM 03.40 §9.2.3.24 fill bits), so
// the header counts as ceil(len*8/7) septets of zeros, then is written over.
func packAfter(udh, septets []byte) []byte {
	lead := (len(udh)*8 + 6) / 7
	all := make([]byte, lead, lead+len(septets))
	all = append(all, septets...)
	out := sms.PackSeptets(all)
	if len(all)%8 == 7 {
		out[len(out)-1] |= gsmCR << 1
	}
	copy(out, udh)
	return out
}
