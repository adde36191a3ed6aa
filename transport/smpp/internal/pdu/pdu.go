// Package pdu reads and writes SMPP 3.4 protocol data units: the 16-byte
// header, the mandatory fields of the few operations smsbridge uses and
// optional TLV parameters. It does no I/O policy (timeouts, windows); the
// session loops above it do.
package pdu

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Command ids (SMPP 3.4 §5.1.2.1).
const (
	GenericNack         uint32 = 0x80000000
	BindReceiver        uint32 = 0x00000001
	BindReceiverResp    uint32 = 0x80000001
	BindTransmitter     uint32 = 0x00000002
	BindTransmitterResp uint32 = 0x80000002
	SubmitSM            uint32 = 0x00000004
	SubmitSMResp        uint32 = 0x80000004
	DeliverSM           uint32 = 0x00000005
	DeliverSMResp       uint32 = 0x80000005
	Unbind              uint32 = 0x00000006
	UnbindResp          uint32 = 0x80000006
	BindTransceiver     uint32 = 0x00000009
	BindTransceiverResp uint32 = 0x80000009
	EnquireLink         uint32 = 0x00000015
	EnquireLinkResp     uint32 = 0x80000015
	AlertNotification   uint32 = 0x00000102
)

// HeaderLen is the size of the PDU header; MaxLen bounds what we accept so a
// corrupt length cannot make us allocate gigabytes.
const (
	HeaderLen = 16
	MaxLen    = 64 * 1024
)

// ErrTooLong is returned for a command_length beyond MaxLen or below HeaderLen.
var ErrTooLong = errors.New("smpp: bad command_length")

// PDU is one protocol data unit with its body still encoded.
type PDU struct {
	ID     uint32
	Status uint32
	Seq    uint32
	Body   []byte
}

// IsResponse reports whether p answers a request (bit 31 of the command id).
func (p PDU) IsResponse() bool { return p.ID&0x80000000 != 0 }

// Bytes encodes p with its header.
func (p PDU) Bytes() []byte {
	return p.AppendTo(make([]byte, 0, HeaderLen+len(p.Body)))
}

// AppendTo appends the PDU's wire form to b.
func (p PDU) AppendTo(b []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(HeaderLen+len(p.Body)))
	b = binary.BigEndian.AppendUint32(b, p.ID)
	b = binary.BigEndian.AppendUint32(b, p.Status)
	b = binary.BigEndian.AppendUint32(b, p.Seq)
	return append(b, p.Body...)
}

// Read reads one PDU from r.
func Read(r io.Reader) (PDU, error) {
	var h [HeaderLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return PDU{}, err
	}
	p, n, err := parseHeader(h[:])
	if err != nil {
		return PDU{}, err
	}
	if n > 0 {
		p.Body = make([]byte, n)
		if _, err := io.ReadFull(r, p.Body); err != nil {
			return PDU{}, fmt.Errorf("smpp: reading body: %w", err)
		}
	}
	return p, nil
}

// Decode parses one whole PDU from b, which must hold exactly one.
func Decode(b []byte) (PDU, error) {
	if len(b) < HeaderLen {
		return PDU{}, ErrTooLong
	}
	p, n, err := parseHeader(b[:HeaderLen])
	if err != nil {
		return PDU{}, err
	}
	if len(b)-HeaderLen != n {
		return PDU{}, fmt.Errorf("%w: %d bytes for length %d", ErrTooLong, len(b), n+HeaderLen)
	}
	p.Body = b[HeaderLen:]
	return p, nil
}

func parseHeader(h []byte) (PDU, int, error) {
	n := binary.BigEndian.Uint32(h[0:])
	if n < HeaderLen || n > MaxLen {
		return PDU{}, 0, fmt.Errorf("%w: %d", ErrTooLong, n)
	}
	p := PDU{
		ID:     binary.BigEndian.Uint32(h[4:]),
		Status: binary.BigEndian.Uint32(h[8:]),
		Seq:    binary.BigEndian.Uint32(h[12:]),
	}
	return p, int(n) - HeaderLen, nil
}
