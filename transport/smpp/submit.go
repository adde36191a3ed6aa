package smpp

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/transport"
	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

// Type of number and numbering plan values (SMPP 3.4 §5.2.5, §5.2.6).
const (
	tonUnknown       = 0
	tonInternational = 1
	tonNetwork       = 3 // used for short codes
	tonAlphanumeric  = 5
	npiUnknown       = 0
	npiISDN          = 1
)

// esm_class and data_coding values we send.
const (
	esmUDHI        = 0x40
	esmReceiptMask = 0x3C
	esmReceipt     = 0x04
	dcDefault      = 0x00
	dcIA5          = 0x01
	dcLatin1       = 0x03
	dcUCS2         = 0x08
)

// sourceAddr picks TON/NPI for a sender: "+digits" or a long number is
// international, up to 8 digits a short code, anything else alphanumeric.
func sourceAddr(s string) (ton, npi byte, addr string, err error) {
	switch {
	case s == "":
		return tonUnknown, npiUnknown, "", nil
	case strings.HasPrefix(s, "+"):
		if !allDigits(s[1:]) || len(s) < 2 || len(s) > 21 {
			return 0, 0, "", fmt.Errorf("source %q: not an international number", s)
		}
		return tonInternational, npiISDN, s[1:], nil
	case allDigits(s) && len(s) <= 8:
		return tonNetwork, npiUnknown, s, nil
	case allDigits(s):
		if len(s) > 20 {
			return 0, 0, "", fmt.Errorf("source %q: longer than 20 digits", s)
		}
		return tonInternational, npiISDN, s, nil
	}
	if len(s) > 11 {
		return 0, 0, "", fmt.Errorf("source %q: alphanumeric sender longer than 11 characters", s)
	}
	return tonAlphanumeric, npiUnknown, s, nil
}

func destAddr(s string) (string, error) {
	d := strings.TrimPrefix(s, "+")
	if d == "" || !allDigits(d) || len(d) > 20 {
		return "", fmt.Errorf("destination %q: not an international number", s)
	}
	return d, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// smppTime formats t in the absolute time format of SMPP 3.4 §7.1.1, in UTC.
func smppTime(t time.Time) string {
	return t.UTC().Format("060102150405") + "000+"
}

// buildSubmit turns a part into a submit_sm body. Every error is permanent:
// the same part would fail the same way again.
func buildSubmit(cfg *Config, p *transport.Part) ([]byte, error) {
	sm, err := submitSM(cfg, p)
	if err == nil {
		var body []byte
		if body, err = sm.Encode(); err == nil {
			return body, nil
		}
	}
	return nil, transport.Permanent("", fmt.Errorf("smpp: part %s: %w", p.Key, err))
}

func submitSM(cfg *Config, p *transport.Part) (*pdu.SM, error) {
	src := p.Source
	if src == "" {
		src = cfg.Source
	}
	sm := &pdu.SM{DestTON: tonInternational, DestNPI: npiISDN}
	var err error
	if sm.SourceTON, sm.SourceNPI, sm.Source, err = sourceAddr(src); err != nil {
		return nil, err
	}
	if sm.Dest, err = destAddr(p.To); err != nil {
		return nil, err
	}
	c, err := codingOf(cfg, p)
	if err != nil {
		return nil, err
	}
	sm.DataCoding = c.dc
	if p.Receipt {
		sm.RegisteredDelivery = 1
	}
	if !p.Expires.IsZero() {
		sm.ValidityPeriod = smppTime(p.Expires)
	}
	return sm, setMessage(sm, cfg.Long, p, c)
}

// setMessage places the payload and the concatenation information as the
// configured long-message method asks.
func setMessage(sm *pdu.SM, long string, p *transport.Part, c coding) error {
	var udh []byte
	if p.Concatenated() {
		if p.Seq < 1 || p.Seq > p.Total || p.Total > 255 {
			return fmt.Errorf("part %d of %d: out of range", p.Seq, p.Total)
		}
		if long == "sar" {
			sm.TLVs = append(sm.TLVs,
				pdu.Uint16TLV(pdu.TagSARMsgRefNum, uint16(p.Ref)),
				pdu.Uint8TLV(pdu.TagSARTotalSegments, uint8(p.Total)),
				pdu.Uint8TLV(pdu.TagSARSegmentSeqnum, uint8(p.Seq)))
		} else {
			sm.ESMClass |= esmUDHI
			udh = sms.UDH(p.Ref, p.Seq, p.Total)
		}
	}
	msg := c.userData(udh)
	if long == "payload" {
		if len(msg) > 0xFFFF {
			return errors.New("message_payload longer than 65535 octets")
		}
		sm.TLVs = append(sm.TLVs, pdu.TLV{Tag: pdu.TagMessagePayload, Value: msg})
		return nil
	}
	sm.ShortMessage = msg
	return nil
}
