package pdu

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrShort means a body ended before its mandatory fields did.
var ErrShort = errors.New("smpp: body too short")

// reader walks the fields of a body.
type reader struct {
	b   []byte
	err error
}

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.err = ErrShort
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// cstring reads a NUL-terminated string of at most max bytes with its NUL.
func (r *reader) cstring(name string, max int) string {
	if r.err != nil {
		return ""
	}
	i := bytes.IndexByte(r.b, 0)
	if i < 0 {
		r.err = fmt.Errorf("%w: %s not terminated", ErrShort, name)
		return ""
	}
	if i+1 > max {
		r.err = fmt.Errorf("smpp: %s longer than %d", name, max-1)
		return ""
	}
	s := string(r.b[:i])
	r.b = r.b[i+1:]
	return s
}

func (r *reader) octets(n int) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.b) < n {
		r.err = ErrShort
		return nil
	}
	o := bytes.Clone(r.b[:n])
	r.b = r.b[n:]
	return o
}

// TLV is an optional parameter.
type TLV struct {
	Tag   uint16
	Value []byte
}

func (r *reader) tlvs() []TLV {
	var out []TLV
	for r.err == nil && len(r.b) > 0 {
		if len(r.b) < 4 {
			r.err = fmt.Errorf("%w: truncated TLV header", ErrShort)
			return nil
		}
		tag := binary.BigEndian.Uint16(r.b)
		n := int(binary.BigEndian.Uint16(r.b[2:]))
		r.b = r.b[4:]
		v := r.octets(n)
		if r.err != nil {
			r.err = fmt.Errorf("smpp: TLV 0x%04X: %w", tag, r.err)
			return nil
		}
		out = append(out, TLV{Tag: tag, Value: v})
	}
	return out
}

// writer builds a body.
type writer struct{ b []byte }

func (w *writer) byte(c byte) { w.b = append(w.b, c) }

func (w *writer) cstring(s string) {
	w.b = append(w.b, s...)
	w.b = append(w.b, 0)
}

func (w *writer) tlv(t TLV) {
	w.b = binary.BigEndian.AppendUint16(w.b, t.Tag)
	w.b = binary.BigEndian.AppendUint16(w.b, uint16(len(t.Value)))
	w.b = append(w.b, t.Value...)
}
