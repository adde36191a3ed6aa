package modem

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/warthog618/sms/encoding/pdumode"
	"github.com/warthog618/sms/encoding/tpdu"

	smsenc "github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/transport"
)

const (
	maxSeptets = 160
	maxOctets  = 140
	minVP      = 5 * time.Minute
	maxVP      = 63 * 7 * 24 * time.Hour // the longest relative validity
)

var errPartTooLong = errors.New("part does not fit one SMS")

// encodeSubmit builds the +CMGS PDU of a part: the modem's default SMSC,
// then an SMS-SUBMIT with our own concatenation header, so a part sent again
// after a fault keeps the reference of the parts already delivered. It
// returns the hex PDU and the TPDU length +CMGS wants.
func encodeSubmit(p *transport.Part, now time.Time) (string, int, error) {
	var t tpdu.TPDU
	if err := t.SetSmsType(tpdu.SmsSubmit); err != nil {
		return "", 0, err
	}
	t.DA = destination(p.To)
	if p.Encoding == smsenc.UCS2 {
		t.DCS = tpdu.DcsUCS2Data
	}
	if p.Receipt {
		t.FirstOctet |= tpdu.FoSRR
	}
	if !p.Expires.IsZero() {
		var vp tpdu.ValidityPeriod
		vp.SetRelative(min(max(p.Expires.Sub(now), minVP), maxVP))
		t.SetVP(vp)
	}
	if p.Concatenated() {
		t.SetUDH(tpdu.UserDataHeader{{ID: 0, Data: []byte{p.Ref, byte(p.Total), byte(p.Seq)}}})
	}
	t.UD = p.Payload
	if err := fits(&t, p.Encoding); err != nil {
		return "", 0, err
	}
	b, err := t.MarshalBinary()
	if err != nil {
		return "", 0, fmt.Errorf("encoding the SMS-SUBMIT: %w", err)
	}
	pdu := pdumode.PDU{TPDU: b} // no SMSC address: the one stored in the SIM
	h, err := pdu.MarshalHexString()
	if err != nil {
		return "", 0, fmt.Errorf("encoding the PDU: %w", err)
	}
	return strings.ToUpper(h), len(b), nil
}

// destination is a TP-DA: international for E.164 numbers, else the digits
// as given (short codes).
func destination(to string) tpdu.Address {
	if strings.HasPrefix(to, "+") {
		return tpdu.NewAddress(tpdu.FromNumber(to))
	}
	a := tpdu.NewAddress()
	a.SetNumberingPlan(tpdu.NpISDN)
	a.Addr = to
	return a
}

func fits(t *tpdu.TPDU, enc smsenc.Encoding) error {
	udh := 0
	if len(t.UDH) > 0 {
		udh = t.UDHL() + 1
	}
	if enc == smsenc.UCS2 {
		if len(t.UD)+udh > maxOctets || len(t.UD)%2 != 0 {
			return fmt.Errorf("%w: %d UCS-2 octets", errPartTooLong, len(t.UD))
		}
		return nil
	}
	if len(t.UD)+(udh*8+6)/7 > maxSeptets {
		return fmt.Errorf("%w: %d septets", errPartTooLong, len(t.UD))
	}
	for _, c := range t.UD {
		if c > 0x7f {
			return fmt.Errorf("%w: byte 0x%02x is not a GSM-7 septet", errPartTooLong, c)
		}
	}
	return nil
}

// decodePDU reads a PDU line from +CMT, +CDS, +CMGR or +CMGL: SMSC address,
// then a TPDU sent to us.
func decodePDU(line string) (*tpdu.TPDU, error) {
	line = strings.TrimSpace(line)
	if len(line) > 2*200 {
		return nil, fmt.Errorf("PDU of %d hex digits is too long", len(line))
	}
	b, err := hex.DecodeString(line)
	if err != nil {
		return nil, fmt.Errorf("PDU is not hex: %w", err)
	}
	p, err := pdumode.UnmarshalBinary(b)
	if err != nil {
		return nil, fmt.Errorf("PDU SMSC address: %w", err)
	}
	t := tpdu.TPDU{Direction: tpdu.MT}
	if err := t.UnmarshalBinary(p.TPDU); err != nil {
		return nil, fmt.Errorf("TPDU: %w", err)
	}
	return &t, nil
}
