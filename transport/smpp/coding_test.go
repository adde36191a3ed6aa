package smpp

import (
	"bytes"
	"encoding/hex"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/transport"
	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

// bitPack is a reference packer written bit by bit: header octets, then
// fill bits up to a septet boundary, then each septet LSB first, then a CR
// when seven bits would be left spare.
func bitPack(udh, septets []byte) []byte {
	var bits []byte
	for _, o := range udh {
		for i := range 8 {
			bits = append(bits, o>>i&1)
		}
	}
	for len(bits)%7 != 0 {
		bits = append(bits, 0)
	}
	if (len(bits)/7+len(septets))%8 == 7 {
		septets = append(septets[:len(septets):len(septets)], gsmCR)
	}
	for _, s := range septets {
		for i := range 7 {
			bits = append(bits, s>>i&1)
		}
	}
	out := make([]byte, (len(bits)+7)/8)
	for i, b := range bits {
		out[i/8] |= b << (i % 8)
	}
	return out
}

func TestPackAfter(t *testing.T) {
	t.Parallel()
	hello, _ := sms.EncodeGSM7("hellohello")
	if got := hex.EncodeToString(packAfter(nil, hello)); got != "e8329bfd4697d9ec37" {
		t.Errorf("hellohello packed = %s, want the textbook e8329bfd4697d9ec37", got)
	}
	for n := range 160 {
		septets := bytes.Repeat([]byte{0x41}, n)
		for _, udh := range [][]byte{nil, sms.UDH(7, 1, 2), {0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x01}} {
			got, want := packAfter(udh, septets), bitPack(udh, septets)
			if !bytes.Equal(got, want) {
				t.Fatalf("udh % x, %d septets:\n got % x\nwant % x", udh, n, got, want)
			}
			if back := unpackAfter(got, len(udh)); !bytes.Equal(back, septets) {
				t.Fatalf("udh % x, %d septets: unpacked %d septets % x", udh, n, len(back), back)
			}
		}
	}
}

func TestDataCoding(t *testing.T) {
	t.Parallel()
	text := "Hi [ok] @home"
	septets, _ := sms.EncodeGSM7(text)
	udh := sms.UDH(3, 1, 2)
	tests := []struct {
		name        string
		gsm7, ascii string
		enc         sms.Encoding
		concat      bool
		dc          byte
		msg         []byte
	}{
		{"gsm7 unpacked", "unpacked", "gsm7", sms.GSM7, false, 0, septets},
		{"gsm7 packed", "packed", "gsm7", sms.GSM7, false, 0, bitPack(nil, septets)},
		{"gsm7 packed udh", "packed", "gsm7", sms.GSM7, true, 0, bitPack(udh, septets)},
		{"ascii as gsm7", "unpacked", "gsm7", sms.ASCII, false, 0, septets},
		{"ascii as gsm7 packed", "packed", "gsm7", sms.ASCII, false, 0, bitPack(nil, septets)},
		{"ascii as ia5", "packed", "ia5", sms.ASCII, false, 1, []byte(text)},
		{"ascii as latin1 udh", "unpacked", "latin1", sms.ASCII, true, 3, append(append([]byte(nil), udh...), text...)},
		{"ucs2 ignores both", "packed", "ia5", sms.UCS2, false, 8, sms.EncodeUCS2(text)},
	}
	for _, tt := range tests {
		p := &transport.Part{To: "+14155550100", Encoding: tt.enc, Text: text, Payload: septets}
		if tt.enc == sms.UCS2 {
			p.Payload = sms.EncodeUCS2(text)
		}
		if tt.concat {
			p.Ref, p.Seq, p.Total = 3, 1, 2
		}
		cfg := Config{Long: "udh", GSM7Coding: tt.gsm7, ASCIICoding: tt.ascii}
		body, err := buildSubmit(&cfg, p)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		sm, err := pdu.DecodeSM(body)
		if err != nil {
			t.Fatal(err)
		}
		if sm.DataCoding != tt.dc || !bytes.Equal(sm.ShortMessage, tt.msg) {
			t.Errorf("%s: data_coding %d message % x, want %d % x", tt.name, sm.DataCoding, sm.ShortMessage, tt.dc, tt.msg)
		}
	}
	// IA5 cannot carry what is not ASCII: the part fails for good.
	euro, _ := sms.EncodeGSM7("5€")
	cfg := Config{ASCIICoding: "ia5"}
	if _, err := buildSubmit(&cfg, &transport.Part{To: "+14155550100", Encoding: sms.ASCII, Payload: euro}); !transport.IsPermanent(err) {
		t.Errorf("non-ASCII as IA5: %v, want permanent", err)
	}
}

// TestInboundPacked: with gsm7_coding = "packed", MO in data_coding 0 is
// unpacked, after its UDH and fill bits, and reassembled.
func TestInboundPacked(t *testing.T) {
	t.Parallel()
	r := newReassembler(time.Minute)
	r.packed = true
	first, _ := sms.EncodeGSM7("Packed {one}, ")
	second, _ := sms.EncodeGSM7("and two@")
	now := time.Now()
	for i, s := range [][]byte{first, second} {
		udh := sms.UDH(9, i+1, 2)
		sm := &pdu.SM{SourceTON: 1, Source: "4412", ESMClass: 0x40, ShortMessage: packAfter(udh, s)}
		in, done := r.add(sm, now)
		if done != (i == 1) {
			t.Fatalf("part %d: done = %v", i+1, done)
		}
		if done && in.Text != "Packed {one}, and two@" {
			t.Errorf("text %q", in.Text)
		}
	}
	single := &pdu.SM{SourceTON: 1, Source: "4412", ShortMessage: packAfter(nil, first[:7])}
	if in, _ := r.add(single, now); in.Text != "Packed " {
		t.Errorf("single packed: %q", in.Text)
	}
}
