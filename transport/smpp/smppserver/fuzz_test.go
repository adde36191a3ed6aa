package smppserver

import (
	"testing"
	"unicode/utf8"

	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

func TestSMText(t *testing.T) {
	payload := pdu.TLV{Tag: pdu.TagMessagePayload, Value: []byte("from the payload")}
	cases := []struct {
		name   string
		sm     pdu.SM
		text   string
		status uint32
	}{
		{"GSM default", pdu.SM{DataCoding: codingDefault, ShortMessage: []byte{0x48, 0x69, 0x00, 0x11}}, "Hi@_", pdu.StatusOK},
		{"Latin-1", pdu.SM{DataCoding: codingLatin1, ShortMessage: []byte("caf\xe9")}, "café", pdu.StatusOK},
		{"UCS-2", pdu.SM{DataCoding: codingUCS2, ShortMessage: []byte{0x04, 0x1f, 0x00, 0x21}}, "П!", pdu.StatusOK},
		{"UTF-16 pair", pdu.SM{DataCoding: codingUCS2, ShortMessage: []byte{0xd8, 0x3d, 0xde, 0x00}}, "😀", pdu.StatusOK},
		{"UCS-2 odd length", pdu.SM{DataCoding: codingUCS2, ShortMessage: []byte{0x04}}, "", pdu.StatusInvMsgLen},
		{"message_payload", pdu.SM{DataCoding: codingASCII, TLVs: []pdu.TLV{payload}}, "from the payload", pdu.StatusOK},
		{"UDH", pdu.SM{ESMClass: esmUDHI, ShortMessage: []byte{5, 0, 3, 1, 2, 1, 'a'}}, "", statusSubmit},
		{"binary", pdu.SM{DataCoding: 0x04, ShortMessage: []byte{1}}, "", statusBadDCS},
	}
	for _, c := range cases {
		text, status := smText(&c.sm)
		if text != c.text || status != c.status {
			t.Errorf("%s: %q %#x, want %q %#x", c.name, text, status, c.text, c.status)
		}
	}
}

func FuzzSMText(f *testing.F) {
	f.Add(byte(0), byte(0), []byte("hello"))
	f.Add(byte(8), byte(0), []byte{0xd8, 0x3d, 0xde, 0x00})
	f.Add(byte(3), byte(0x40), []byte{5, 0, 3, 1, 2, 1})
	f.Fuzz(func(t *testing.T, coding, esm byte, body []byte) {
		text, status := smText(&pdu.SM{DataCoding: coding, ESMClass: esm, ShortMessage: body})
		if status == pdu.StatusOK && !utf8.ValidString(text) {
			t.Fatalf("smText gave invalid UTF-8 %q", text)
		}
		if status != pdu.StatusOK && text != "" {
			t.Fatalf("refused with text %q", text)
		}
	})
}
