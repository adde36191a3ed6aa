package modemtest

import (
	"encoding/hex"
	"fmt"
	"time"

	"github.com/warthog618/sms"
	"github.com/warthog618/sms/encoding/pdumode"
	"github.com/warthog618/sms/encoding/tpdu"
)

// smsc is the service centre address the simulated network puts in front
// of the PDUs it delivers, as real ones do.
var smsc = pdumode.SMSCAddress{Address: tpdu.NewAddress(tpdu.FromNumber("+447785016005"))}

// silent in failAt means: answer nothing.
const silent = "\x00"

// urc is an unsolicited result: one line, and a PDU line after it for +CMT
// and +CDS, which must then be acknowledged with +CNMA.
type urc struct {
	head   string
	pdu    string
	report bool // +CDS, routed by <ds>; else +CMT, routed by <mt>
}

// submit takes the PDU of a +CMGS; under m.mu.
func (l *line) submit(hexPDU string, n int) {
	m := l.m
	m.sends++
	k := m.sends
	if m.vanishAt[k] {
		delete(m.vanishAt, k)
		m.logf("vanishing on send %d", k)
		l.hangUp()
		return
	}
	if final, ok := m.failAt[k]; ok {
		delete(m.failAt, k)
		if final != silent {
			l.final(final)
		}
		return
	}
	s, err := decodeSubmit(hexPDU, n)
	if err != nil {
		m.logf("bad PDU %q: %v", hexPDU, err)
		l.cmsError("304")
		return
	}
	m.mr++
	s.MR = m.mr
	m.sent = append(m.sent, s)
	l.info(fmt.Sprintf("+CMGS: %d", s.MR))
	l.final("OK")
	if s.SRR && !m.cfg.NoReports {
		time.AfterFunc(m.cfg.ReportDelay, func() { m.statusReport(s) })
	}
}

// decodeSubmit reads a +CMGS PDU: SMSC address, then an SMS-SUBMIT of n
// octets.
func decodeSubmit(hexPDU string, n int) (Submit, error) {
	p, err := pdumode.UnmarshalHexString(hexPDU)
	if err != nil {
		return Submit{}, err
	}
	if len(p.TPDU) != n {
		return Submit{}, fmt.Errorf("TPDU is %d octets, +CMGS said %d", len(p.TPDU), n)
	}
	t, err := sms.Unmarshal(p.TPDU, sms.AsMO)
	if err != nil {
		return Submit{}, err
	}
	if t.SmsType() != tpdu.SmsSubmit {
		return Submit{}, fmt.Errorf("not an SMS-SUBMIT: %v", t.SmsType())
	}
	alpha, err := t.Alphabet()
	if err != nil {
		return Submit{}, err
	}
	text, err := tpdu.DecodeUserData(t.UD, t.UDH, alpha)
	if err != nil {
		return Submit{}, err
	}
	s := Submit{To: t.DA.Number(), Text: string(text), DCS: byte(t.DCS), SRR: t.FirstOctet.SRR()}
	if total, seq, ref, ok := t.ConcatInfo(); ok {
		s.Total, s.Seq, s.ConcatRef = total, seq, ref
	}
	return s, nil
}

func (m *Modem) statusReport(s Submit) {
	st := byte(0)
	if m.cfg.ReportStatus != nil {
		st = m.cfg.ReportStatus(s.To)
	}
	now := time.Now()
	t := tpdu.TPDU{Direction: tpdu.MT, MR: s.MR, RA: tpdu.NewAddress(tpdu.FromNumber(s.To)), ST: st}
	_ = t.SetSmsType(tpdu.SmsStatusReport)
	t.SCTS.Time, t.DT.Time = now, now
	h, n, err := pduHex(&t)
	if err != nil {
		m.logf("status report: %v", err)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.urcLocked(urc{head: fmt.Sprintf("+CDS: %d", n), pdu: h, report: true})
}

func pduHex(t *tpdu.TPDU) (string, int, error) {
	b, err := t.MarshalBinary()
	if err != nil {
		return "", 0, err
	}
	p := pdumode.PDU{SMSC: smsc, TPDU: b}
	h, err := p.MarshalHexString()
	if err != nil {
		return "", 0, err
	}
	return hexUpper(h), len(b), nil
}

func hexUpper(h string) string {
	b, _ := hex.DecodeString(h)
	return fmt.Sprintf("%X", b)
}

// tpduLen is the length +CMGR and +CMGL report: the TPDU without the SMSC
// address.
func tpduLen(hexPDU string) int {
	p, err := pdumode.UnmarshalHexString(hexPDU)
	if err != nil {
		return 0
	}
	return len(p.TPDU)
}

// Deliver sends an SMS from a phone to the modem, in as many concatenated
// parts as the text needs. Direct delivery announces each part with +CMT
// (to be acknowledged) while +CNMI routes them so; stored delivery puts it
// into SIM storage and announces it with +CMTI.
func (m *Modem) Deliver(from, text string, stored bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.encodeLocked(from, text, func(h string, n int) {
		if !stored {
			m.urcLocked(urc{head: fmt.Sprintf("+CMT: ,%d", n), pdu: h})
			return
		}
		m.urcLocked(urc{head: fmt.Sprintf(`+CMTI: "SM",%d`, m.storeLocked(h))})
	})
}

// Store puts an SMS from a phone on the SIM without a word to the gateway,
// as a modem whose indications are off does.
func (m *Modem) Store(from, text string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.encodeLocked(from, text, func(h string, _ int) { m.storeLocked(h) })
}

// encodeLocked encodes text from a phone into the PDUs of its parts and
// hands each on with its TPDU length.
func (m *Modem) encodeLocked(from, text string, each func(h string, n int)) error {
	pdus, err := m.enc.Encode([]byte(text), sms.From(from))
	if err != nil {
		return fmt.Errorf("modemtest: encode: %w", err)
	}
	for i := range pdus {
		pdus[i].SCTS.Time = time.Now()
		h, n, err := pduHex(&pdus[i])
		if err != nil {
			return fmt.Errorf("modemtest: encode: %w", err)
		}
		each(h, n)
	}
	return nil
}
