package pdu

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Optional parameter tags (SMPP 3.4 §5.3.2).
const (
	TagReceiptedMessageID uint16 = 0x001E
	TagSARMsgRefNum       uint16 = 0x020C
	TagSARTotalSegments   uint16 = 0x020E
	TagSARSegmentSeqnum   uint16 = 0x020F
	TagMessagePayload     uint16 = 0x0424
	TagMessageState       uint16 = 0x0427
)

// MaxShortMessage is the most short_message may hold: sm_length is one
// octet and 255 is reserved.
const MaxShortMessage = 254

// ErrTooBig is returned when a short_message exceeds MaxShortMessage.
var ErrTooBig = errors.New("smpp: short_message longer than 254 octets")

// Bind is the body of bind_transmitter, bind_receiver and bind_transceiver.
type Bind struct {
	SystemID, Password, SystemType string
	InterfaceVersion               byte
	AddrTON, AddrNPI               byte
	AddressRange                   string
}

// Encode returns the body.
func (b Bind) Encode() []byte {
	var w writer
	w.cstring(b.SystemID)
	w.cstring(b.Password)
	w.cstring(b.SystemType)
	w.byte(b.InterfaceVersion)
	w.byte(b.AddrTON)
	w.byte(b.AddrNPI)
	w.cstring(b.AddressRange)
	return w.b
}

// DecodeBind parses a bind body.
func DecodeBind(body []byte) (Bind, error) {
	r := reader{b: body}
	b := Bind{
		SystemID:   r.cstring("system_id", 16),
		Password:   r.cstring("password", 9),
		SystemType: r.cstring("system_type", 13),
	}
	b.InterfaceVersion = r.byte()
	b.AddrTON = r.byte()
	b.AddrNPI = r.byte()
	b.AddressRange = r.cstring("address_range", 41)
	return b, r.err
}

// EncodeCString returns s as a C-octet string: the body of bind responses
// (system_id) and of submit_sm_resp (message_id).
func EncodeCString(s string) []byte {
	var w writer
	w.cstring(s)
	return w.b
}

// DecodeCString reads the leading C-octet string of a response body. An empty
// body (allowed for error responses) gives "".
func DecodeCString(body []byte) (string, error) {
	if len(body) == 0 {
		return "", nil
	}
	r := reader{b: body}
	s := r.cstring("message_id", 66)
	return s, r.err
}

// SM is the body of submit_sm and deliver_sm, which share their layout.
type SM struct {
	ServiceType          string
	SourceTON, SourceNPI byte
	Source               string
	DestTON, DestNPI     byte
	Dest                 string
	ESMClass             byte
	ProtocolID           byte
	PriorityFlag         byte
	ScheduleDeliveryTime string
	ValidityPeriod       string
	RegisteredDelivery   byte
	ReplaceIfPresent     byte
	DataCoding           byte
	SMDefaultMsgID       byte
	ShortMessage         []byte
	TLVs                 []TLV
}

// Encode returns the body, refusing a short_message beyond 254 octets rather
// than letting the one-octet sm_length wrap.
func (m *SM) Encode() ([]byte, error) {
	if len(m.ShortMessage) > MaxShortMessage {
		return nil, fmt.Errorf("%w: %d", ErrTooBig, len(m.ShortMessage))
	}
	var w writer
	w.cstring(m.ServiceType)
	w.byte(m.SourceTON)
	w.byte(m.SourceNPI)
	w.cstring(m.Source)
	w.byte(m.DestTON)
	w.byte(m.DestNPI)
	w.cstring(m.Dest)
	for _, c := range []byte{m.ESMClass, m.ProtocolID, m.PriorityFlag} {
		w.byte(c)
	}
	w.cstring(m.ScheduleDeliveryTime)
	w.cstring(m.ValidityPeriod)
	for _, c := range []byte{m.RegisteredDelivery, m.ReplaceIfPresent, m.DataCoding, m.SMDefaultMsgID, byte(len(m.ShortMessage))} {
		w.byte(c)
	}
	w.b = append(w.b, m.ShortMessage...)
	for _, t := range m.TLVs {
		if len(t.Value) > 0xFFFF {
			return nil, fmt.Errorf("smpp: TLV 0x%04X too long", t.Tag)
		}
		w.tlv(t)
	}
	return w.b, nil
}

// DecodeSM parses a submit_sm or deliver_sm body. Address limits are looser
// than the specification's because real SMSCs overstep them.
func DecodeSM(body []byte) (*SM, error) {
	r := reader{b: body}
	m := &SM{ServiceType: r.cstring("service_type", 6)}
	m.SourceTON, m.SourceNPI = r.byte(), r.byte()
	m.Source = r.cstring("source_addr", 65)
	m.DestTON, m.DestNPI = r.byte(), r.byte()
	m.Dest = r.cstring("destination_addr", 65)
	m.ESMClass, m.ProtocolID, m.PriorityFlag = r.byte(), r.byte(), r.byte()
	m.ScheduleDeliveryTime = r.cstring("schedule_delivery_time", 17)
	m.ValidityPeriod = r.cstring("validity_period", 17)
	m.RegisteredDelivery, m.ReplaceIfPresent = r.byte(), r.byte()
	m.DataCoding, m.SMDefaultMsgID = r.byte(), r.byte()
	n := int(r.byte())
	m.ShortMessage = r.octets(n)
	m.TLVs = r.tlvs()
	if r.err != nil {
		return nil, r.err
	}
	return m, nil
}

// TLV returns the value of the first parameter with tag, if any.
func (m *SM) TLV(tag uint16) ([]byte, bool) {
	for _, t := range m.TLVs {
		if t.Tag == tag {
			return t.Value, true
		}
	}
	return nil, false
}

// Uint8TLV and Uint16TLV build integer-valued parameters.
func Uint8TLV(tag uint16, v uint8) TLV { return TLV{Tag: tag, Value: []byte{v}} }

func Uint16TLV(tag uint16, v uint16) TLV {
	return TLV{Tag: tag, Value: binary.BigEndian.AppendUint16(nil, v)}
}

// UintValue reads a 1-, 2- or 4-octet big-endian integer parameter.
func UintValue(v []byte) (uint32, bool) {
	switch len(v) {
	case 1:
		return uint32(v[0]), true
	case 2:
		return uint32(binary.BigEndian.Uint16(v)), true
	case 4:
		return binary.BigEndian.Uint32(v), true
	}
	return 0, false
}
