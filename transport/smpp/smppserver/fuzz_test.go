package smppserver

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

// smText is a whole submit_sm's text as the server reads it.
func smText(sm *pdu.SM) (string, pdu.Concat, uint32) {
	body, c, status := smBody(sm)
	if status != pdu.StatusOK {
		return "", c, status
	}
	text, status := decodeBody(sm.DataCoding, body)
	return text, c, status
}

func TestSMText(t *testing.T) {
	payload := pdu.TLV{Tag: pdu.TagMessagePayload, Value: []byte("from the payload")}
	sar := []pdu.TLV{pdu.Uint16TLV(pdu.TagSARMsgRefNum, 0x1234), pdu.Uint8TLV(pdu.TagSARTotalSegments, 3), pdu.Uint8TLV(pdu.TagSARSegmentSeqnum, 2)}
	cases := []struct {
		name   string
		sm     pdu.SM
		text   string
		concat pdu.Concat
		status uint32
	}{
		{"GSM default", pdu.SM{DataCoding: codingDefault, ShortMessage: []byte{0x48, 0x69, 0x00, 0x11}}, "Hi@_", pdu.Concat{}, pdu.StatusOK},
		{"Latin-1", pdu.SM{DataCoding: codingLatin1, ShortMessage: []byte("caf\xe9")}, "café", pdu.Concat{}, pdu.StatusOK},
		{"UCS-2", pdu.SM{DataCoding: codingUCS2, ShortMessage: []byte{0x04, 0x1f, 0x00, 0x21}}, "П!", pdu.Concat{}, pdu.StatusOK},
		{"UTF-16 pair", pdu.SM{DataCoding: codingUCS2, ShortMessage: []byte{0xd8, 0x3d, 0xde, 0x00}}, "😀", pdu.Concat{}, pdu.StatusOK},
		{"UCS-2 odd length", pdu.SM{DataCoding: codingUCS2, ShortMessage: []byte{0x04}}, "", pdu.Concat{}, pdu.StatusInvMsgLen},
		{"message_payload", pdu.SM{DataCoding: codingASCII, TLVs: []pdu.TLV{payload}}, "from the payload", pdu.Concat{}, pdu.StatusOK},
		{"UDH 8-bit reference", pdu.SM{ESMClass: esmUDHI, ShortMessage: []byte{5, 0, 3, 9, 2, 1, 'a'}}, "a", pdu.Concat{Ref: 9, Total: 2, Seq: 1}, pdu.StatusOK},
		{"UDH 16-bit reference", pdu.SM{ESMClass: esmUDHI, ShortMessage: []byte{6, 8, 4, 0x12, 0x34, 3, 3, 'z'}}, "z", pdu.Concat{Ref: 0x1234, Total: 3, Seq: 3}, pdu.StatusOK},
		{"UDH in message_payload", pdu.SM{ESMClass: esmUDHI, TLVs: []pdu.TLV{{Tag: pdu.TagMessagePayload, Value: []byte{5, 0, 3, 9, 2, 2, 'b'}}}}, "b", pdu.Concat{Ref: 9, Total: 2, Seq: 2}, pdu.StatusOK},
		{"UDH of one segment", pdu.SM{ESMClass: esmUDHI, ShortMessage: []byte{5, 0, 3, 9, 1, 1, 'w'}}, "w", pdu.Concat{}, pdu.StatusOK},
		{"SAR", pdu.SM{ShortMessage: []byte("mid"), TLVs: sar}, "mid", pdu.Concat{Ref: 0x1234, Total: 3, Seq: 2}, pdu.StatusOK},
		{"SAR out of range", pdu.SM{ShortMessage: []byte("x"), TLVs: []pdu.TLV{pdu.Uint16TLV(pdu.TagSARMsgRefNum, 1), pdu.Uint8TLV(pdu.TagSARTotalSegments, 2), pdu.Uint8TLV(pdu.TagSARSegmentSeqnum, 3)}}, "x", pdu.Concat{}, pdu.StatusOK},
		{"UDH without concatenation", pdu.SM{ESMClass: esmUDHI, ShortMessage: []byte{6, 5, 4, 0x0b, 0x84, 0x23, 0xf0, 'x'}}, "", pdu.Concat{}, statusSubmit},
		{"UDH longer than the message", pdu.SM{ESMClass: esmUDHI, ShortMessage: []byte{9, 0, 3}}, "", pdu.Concat{}, statusSubmit},
		{"binary", pdu.SM{DataCoding: 0x04, ShortMessage: []byte{1}}, "", pdu.Concat{}, statusBadDCS},
	}
	for _, c := range cases {
		text, concat, status := smText(&c.sm)
		if text != c.text || status != c.status || (status == pdu.StatusOK && concat != c.concat) {
			t.Errorf("%s: %q %+v %#x, want %q %+v %#x", c.name, text, concat, status, c.text, c.concat, c.status)
		}
	}
}

// FuzzSMText: whatever a submit_sm holds, its text is valid UTF-8, a
// segment is in range, and the body is what follows the header.
func FuzzSMText(f *testing.F) {
	f.Add(byte(0), byte(0), []byte("hello"), []byte{})
	f.Add(byte(8), byte(0), []byte{0xd8, 0x3d, 0xde, 0x00}, []byte{})
	f.Add(byte(3), byte(0x40), []byte{5, 0, 3, 1, 2, 1, 'x'}, []byte{})
	f.Add(byte(0), byte(0x40), []byte{6, 8, 4, 1, 2, 3, 1, 'x'}, []byte{})
	f.Add(byte(0), byte(0), []byte("x"), []byte{0x12, 0x34, 3, 2})
	f.Fuzz(func(t *testing.T, coding, esm byte, short, sar []byte) {
		sm := pdu.SM{DataCoding: coding, ESMClass: esm, ShortMessage: short}
		if len(sar) >= 4 {
			sm.TLVs = []pdu.TLV{{Tag: pdu.TagSARMsgRefNum, Value: sar[:2]}, pdu.Uint8TLV(pdu.TagSARTotalSegments, sar[2]), pdu.Uint8TLV(pdu.TagSARSegmentSeqnum, sar[3])}
		}
		body, c, status := smBody(&sm)
		if status == pdu.StatusOK && !bytes.HasSuffix(short, body) {
			t.Fatalf("body %x is not the end of %x", body, short)
		}
		if c.Total != 0 && (c.Total < 2 || c.Seq < 1 || c.Seq > c.Total) {
			t.Fatalf("segment out of range: %+v", c)
		}
		text, _, status := smText(&sm)
		if status == pdu.StatusOK && !utf8.ValidString(text) {
			t.Fatalf("gave invalid UTF-8 %q", text)
		}
		if status != pdu.StatusOK && text != "" {
			t.Fatalf("refused with text %q", text)
		}
	})
}

// FuzzSegData: a segment's stored record reads back as it was written,
// and any bytes either read or are refused, without a panic.
func FuzzSegData(f *testing.F) {
	f.Add(byte(8), []byte{0xd8, 0x3d}, byte(1), 3, "12345", "+14155550100", "ACME", []byte("c=0&b=&r=0&t=2&n=%2B1"))
	f.Fuzz(func(t *testing.T, coding byte, body []byte, receipt byte, total int, source, dest, from string, raw []byte) {
		d := segData{Coding: coding, Body: body, Receipt: receipt, Total: total, Source: source, Dest: dest, Number: "+1" + dest, From: from}
		got, err := decodeSegData(d.encode())
		if err != nil {
			t.Fatalf("%+v does not read back: %v", d, err)
		}
		if got.Coding != d.Coding || !bytes.Equal(got.Body, d.Body) || got.Receipt != d.Receipt || got.Total != d.Total ||
			got.Source != d.Source || got.Dest != d.Dest || got.Number != d.Number || got.From != d.From {
			t.Fatalf("read back %+v, wrote %+v", got, d)
		}
		_, _ = decodeSegData(raw)
	})
}
