package store

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/smsbridge/smsbridge/campaign"
	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/sms"
)

// Records are a compact binary format: one version byte, then fields in a
// fixed order — uvarints, zigzag varints for times (UnixNano, math.MinInt64
// for the zero time), and uvarint length-prefixed strings and bytes.
// Decoding checks every length against what is left and rejects trailing
// bytes, so corrupt input is an error, never a panic or a huge allocation.
const recordV1 = 1

// recordV2 is a part record with its in-doubt fields after the others;
// parts without them are still written as recordV1.
const recordV2 = 2

// recordV3 is a part record with the in-doubt fields and then the state of
// the receipt that made it final; parts without one are written as before.
const recordV3 = 3

// msgRecordV2 is a message record with its priority class and campaign
// pace after the sender.
const msgRecordV2 = 2

// msgRecordV3 is a version 2 record with the SMS source address after the
// pace; only messages with one are written so.
const msgRecordV3 = 3

const zeroTime = math.MinInt64

// rcptRecord is a recipient without its parts, plus its progress.
type rcptRecord struct {
	Address  string
	Number   string
	ORCPT    string
	Notify   Notify
	Reported bool
	Parts    int // how many parts it has
	Pending  int // how many of them are not final yet
}

// msgRecord is a message without recipients: written once by Enqueue.
type msgRecord struct {
	Received   time.Time
	Expires    time.Time
	Sender     string
	Subject    string
	MessageID  string
	EnvID      string
	Ret        string
	Header     []byte
	Omitted    string // written after Header; absent in records from before it
	Recipients int
	Class      priority.Class
	Campaign   *campaign.Pace
	Source     string
}

type encoder struct{ b []byte }

func (e *encoder) u8(v uint8)       { e.b = append(e.b, v) }
func (e *encoder) uvar(v uint64)    { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) str(s string)     { e.uvar(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) bytes(p []byte)   { e.uvar(uint64(len(p))); e.b = append(e.b, p...) }
func (e *encoder) time(t time.Time) { e.b = binary.AppendVarint(e.b, timeNano(t)) }

func (e *encoder) boolean(v bool) {
	if v {
		e.u8(1)
		return
	}
	e.u8(0)
}

func timeNano(t time.Time) int64 {
	if t.IsZero() {
		return zeroTime
	}
	return unixNano(t)
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: bad %s", ErrCorrupt, what)
	}
}

func (d *decoder) u8(what string) uint8 {
	if d.err != nil || len(d.b) < 1 {
		d.fail(what)
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) uvar(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a uvarint that must be at most max.
func (d *decoder) count(what string, max int) int {
	v := d.uvar(what)
	if v > uint64(max) {
		d.fail(what)
		return 0
	}
	return int(v)
}

func (d *decoder) boolean(what string) bool {
	switch d.u8(what) {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail(what)
	return false
}

func (d *decoder) time(what string) time.Time {
	if d.err != nil {
		return time.Time{}
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(what)
		return time.Time{}
	}
	d.b = d.b[n:]
	if v == zeroTime {
		return time.Time{}
	}
	return time.Unix(0, v).UTC()
}

func (d *decoder) raw(what string) []byte {
	n := d.uvar(what)
	if d.err != nil || n > uint64(len(d.b)) {
		d.fail(what)
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) str(what string) string { return string(d.raw(what)) }

// bytes copies: bbolt's memory is only valid inside its transaction.
func (d *decoder) bytes(what string) []byte {
	p := d.raw(what)
	if len(p) == 0 {
		return nil
	}
	return append([]byte(nil), p...)
}

func (d *decoder) version(what string) {
	if v := d.u8(what); d.err == nil && v != recordV1 {
		d.err = fmt.Errorf("%w: %s record version %d", ErrCorrupt, what, v)
	}
}

func (d *decoder) done(what string) error {
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%w: %d trailing bytes in %s record", ErrCorrupt, len(d.b), what)
	}
	return d.err
}

func encodePart(p *Part) []byte {
	e := encoder{b: make([]byte, 0, 48+len(p.Text)+len(p.Payload)+len(p.Transport)+len(p.TransportID)+len(p.Error)+len(p.AlsoTransport)+len(p.AlsoID)+len(p.MovedFrom)+len(p.Receipt))}
	// Version 3 also when the text alone would read as a receipt's: the
	// field, empty, says there was none.
	v3 := p.Receipt != "" || receiptInText(p.State, p.Error) != ""
	v2 := v3 || p.InDoubt != 0 || p.AlsoTransport != "" || p.AlsoID != "" || p.MovedFrom != ""
	switch {
	case v3:
		e.u8(recordV3)
	case v2:
		e.u8(recordV2)
	default:
		e.u8(recordV1)
	}
	e.u8(uint8(p.State))
	e.u8(uint8(p.Encoding))
	e.u8(p.Ref)
	e.uvar(uint64(p.Seq))
	e.uvar(uint64(p.Total))
	e.uvar(uint64(p.Attempts))
	e.time(p.NextAttempt)
	e.time(p.Updated)
	e.str(p.Transport)
	e.str(p.TransportID)
	e.str(p.Error)
	e.str(p.Text)
	e.bytes(p.Payload)
	if v2 {
		e.uvar(uint64(p.InDoubt))
		e.str(p.AlsoTransport)
		e.str(p.AlsoID)
		e.str(p.MovedFrom)
	}
	if v3 {
		e.str(p.Receipt)
	}
	return e.b
}

func decodePart(b []byte) (Part, error) {
	d := decoder{b: b}
	var p Part
	v := d.u8("part")
	if d.err == nil && v != recordV1 && v != recordV2 && v != recordV3 {
		d.err = fmt.Errorf("%w: part record version %d", ErrCorrupt, v)
	}
	p.State = PartState(d.u8("part state"))
	if d.err == nil && (p.State < PartQueued || p.State > PartCancelled) {
		d.fail("part state")
	}
	p.Encoding = sms.Encoding(d.u8("part encoding"))
	p.Ref = d.u8("part ref")
	p.Seq = d.count("part seq", maxParts)
	p.Total = d.count("part total", maxParts)
	p.Attempts = d.count("part attempts", math.MaxInt32)
	p.NextAttempt = d.time("part next attempt")
	p.Updated = d.time("part updated")
	p.Transport = d.str("part transport")
	p.TransportID = d.str("part transport id")
	p.Error = d.str("part error")
	p.Text = d.str("part text")
	p.Payload = d.bytes("part payload")
	if v == recordV2 || v == recordV3 {
		p.InDoubt = d.count("part in doubt", math.MaxInt32)
		p.AlsoTransport = d.str("part also transport")
		p.AlsoID = d.str("part also id")
		p.MovedFrom = d.str("part moved from")
	}
	if v == recordV3 {
		p.Receipt = d.str("part receipt")
	} else {
		p.Receipt = receiptInText(p.State, p.Error)
	}
	return p, d.done("part")
}

func encodeRcpt(r *rcptRecord) []byte {
	e := encoder{b: make([]byte, 0, 16+len(r.Address)+len(r.Number)+len(r.ORCPT))}
	e.u8(recordV1)
	e.str(r.Address)
	e.str(r.Number)
	e.str(r.ORCPT)
	e.u8(uint8(r.Notify))
	e.boolean(r.Reported)
	e.uvar(uint64(r.Parts))
	e.uvar(uint64(r.Pending))
	return e.b
}

func decodeRcpt(b []byte) (rcptRecord, error) {
	d := decoder{b: b}
	var r rcptRecord
	d.version("recipient")
	r.Address = d.str("recipient address")
	r.Number = d.str("recipient number")
	r.ORCPT = d.str("recipient orcpt")
	r.Notify = Notify(d.u8("recipient notify"))
	r.Reported = d.boolean("recipient reported")
	r.Parts = d.count("recipient parts", maxParts)
	r.Pending = d.count("recipient pending", r.Parts)
	return r, d.done("recipient")
}

func encodeMsg(m *msgRecord) []byte {
	e := encoder{b: make([]byte, 0, 40+len(m.Sender)+len(m.Subject)+len(m.MessageID)+len(m.EnvID)+len(m.Ret)+len(m.Header))}
	if m.Source != "" {
		e.u8(msgRecordV3)
	} else {
		e.u8(msgRecordV2)
	}
	e.time(m.Received)
	e.time(m.Expires)
	e.uvar(uint64(m.Recipients))
	e.str(m.Sender)
	e.u8(uint8(m.Class))
	e.pace(m.Campaign)
	if m.Source != "" {
		e.str(m.Source)
	}
	e.str(m.Subject)
	e.str(m.MessageID)
	e.str(m.EnvID)
	e.str(m.Ret)
	e.bytes(m.Header)
	if m.Omitted != "" {
		e.str(m.Omitted)
	}
	return e.b
}

// decodeMsg decodes a message record; with full false it stops after the
// sender and skips the header copy, which is all the dispatch path needs.
func decodeMsg(b []byte, full bool) (msgRecord, error) {
	d := decoder{b: b}
	var m msgRecord
	v := d.u8("message version")
	if d.err == nil && v != recordV1 && v != msgRecordV2 && v != msgRecordV3 {
		d.err = fmt.Errorf("%w: message record version %d", ErrCorrupt, v)
	}
	m.Received = d.time("message received")
	m.Expires = d.time("message expires")
	m.Recipients = d.count("message recipients", maxRecipients)
	m.Sender = d.str("message sender")
	if v >= msgRecordV2 { // version 1 records are all normal
		m.Class = priority.Class(d.u8("message class"))
		if d.err == nil && !m.Class.Valid() {
			d.fail("message class")
		}
		m.Campaign = d.pace()
	}
	if v == msgRecordV3 {
		if m.Source = d.str("message source"); d.err == nil && m.Source == "" {
			d.fail("message source") // written only when there is one
		}
	}
	if !full {
		return m, d.err
	}
	m.Subject = d.str("message subject")
	m.MessageID = d.str("message id")
	m.EnvID = d.str("message envid")
	m.Ret = d.str("message ret")
	m.Header = d.bytes("message header")
	if d.err == nil && len(d.b) > 0 {
		// Written only when there is something: an empty one is damage.
		if m.Omitted = d.str("message omitted"); m.Omitted == "" {
			d.fail("message omitted")
		}
	}
	return m, d.done("message")
}

func encodeCount(n uint64) []byte { return binary.AppendUvarint(nil, n) }

func decodeCount(b []byte) (uint64, error) {
	v, n := binary.Uvarint(b)
	if n <= 0 || n != len(b) {
		return 0, fmt.Errorf("%w: count %x", ErrCorrupt, b)
	}
	return v, nil
}

func decodeStat(v []byte) (int, error) {
	switch len(v) {
	case 0:
		return 0, nil
	case 8:
		return int(binary.BigEndian.Uint64(v) & math.MaxInt64), nil
	}
	return 0, fmt.Errorf("%w: count %x", ErrCorrupt, v)
}
