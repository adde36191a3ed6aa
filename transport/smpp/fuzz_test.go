package smpp

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/transport"
	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

func FuzzParseReceipt(f *testing.F) {
	f.Add("id:0123456789 sub:001 dlvrd:001 submit date:2403051406 done date:2403051407 stat:DELIVRD err:000 text:Hello")
	f.Add("STAT:undeliv id:x")
	f.Add("id: text:id:")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReceipt(s)
		if err != nil {
			return
		}
		if !r.State.Final() && r.State.String() == "" {
			t.Fatal("state without name")
		}
		if utf8.ValidString(s) && !utf8.ValidString(r.ID+r.Err+r.Stat) {
			t.Fatalf("valid input gave invalid fields: %+v", r)
		}
	})
}

// FuzzDecodePDU feeds arbitrary bytes through the decoder and, when they
// form a deliver_sm, through receipt and inbound handling.
func FuzzDecodePDU(f *testing.F) {
	sm := &pdu.SM{ESMClass: 0x40, ShortMessage: append(sms.UDH(1, 1, 2), 'h', 'i'),
		TLVs: []pdu.TLV{pdu.Uint16TLV(pdu.TagSARMsgRefNum, 5)}}
	body, _ := sm.Encode()
	f.Add(pdu.PDU{ID: pdu.DeliverSM, Seq: 1, Body: body}.Bytes())
	rc := &pdu.SM{ESMClass: 4, ShortMessage: []byte("id:1 stat:DELIVRD"),
		TLVs: []pdu.TLV{{Tag: pdu.TagReceiptedMessageID, Value: []byte("1\x00")}}}
	body, _ = rc.Encode()
	f.Add(pdu.PDU{ID: pdu.DeliverSM, Seq: 2, Body: body}.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := pdu.Decode(b)
		if err != nil {
			return
		}
		if got := p.Bytes(); string(got) != string(b) {
			t.Fatalf("re-encoding differs: %x vs %x", got, b)
		}
		sm, err := pdu.DecodeSM(p.Body)
		if err != nil {
			return
		}
		receiptOf(sm)
		r := newReassembler(time.Minute)
		now := time.Now()
		r.add(sm, now)
		r.add(sm, now)
		r.expire(now.Add(time.Hour))
		if again, err := sm.Encode(); err == nil {
			if _, err := pdu.DecodeSM(again); err != nil {
				t.Fatalf("re-encoded SM does not decode: %v", err)
			}
		}
	})
}

// FuzzReassemble feeds a sequence of deliver_sm to the MO reassembler: data
// is cut into parts of [esm_class, data_coding, length, octets...], each
// optionally with SAR TLVs, from one sender. Whatever comes, nothing panics,
// no more SMS come out than parts went in, and every text is valid UTF-8.
func FuzzReassemble(f *testing.F) {
	one, _ := sms.EncodeGSM7("Hello {there}")
	add := func(esm, dc byte, msg []byte) []byte { return append([]byte{esm, dc, byte(len(msg))}, msg...) }
	seed := append(add(0x40, 0, append(sms.UDH(4, 1, 2), one...)), add(0x40, 0, append(sms.UDH(4, 2, 2), one...))...)
	f.Add(seed, false, false)
	f.Add(append(add(0x40, 0, packAfter(sms.UDH(4, 2, 2), one)), add(0x40, 0, packAfter(sms.UDH(4, 1, 2), one))...), true, false)
	f.Add(add(0, 8, sms.EncodeUCS2("Привет 👋")), false, true)
	f.Fuzz(func(t *testing.T, data []byte, packed, sar bool) {
		r := newReassembler(time.Minute)
		r.packed = packed
		now := time.Now()
		in, out := 0, 0
		check := func(x transport.Inbound) {
			out++
			if !utf8.ValidString(x.Text) {
				t.Fatalf("invalid UTF-8 text %q", x.Text)
			}
		}
		for seq := 1; len(data) >= 3 && in < 64; seq++ {
			n := min(int(data[2]), len(data)-3)
			sm := &pdu.SM{SourceTON: 1, Source: "4412", ESMClass: data[0], DataCoding: data[1], ShortMessage: data[3 : 3+n]}
			if sar {
				sm.TLVs = []pdu.TLV{pdu.Uint16TLV(pdu.TagSARMsgRefNum, 1),
					pdu.Uint8TLV(pdu.TagSARTotalSegments, data[1]&3+1), pdu.Uint8TLV(pdu.TagSARSegmentSeqnum, uint8(seq))}
			}
			data = data[3+n:]
			in++
			if x, done := r.add(sm, now); done {
				check(x)
			}
		}
		for _, x := range r.expire(now.Add(time.Hour)) {
			check(x)
		}
		if out > in {
			t.Fatalf("%d SMS out of %d parts", out, in)
		}
		if len(r.sets) != 0 {
			t.Fatalf("%d sets left after expiry", len(r.sets))
		}
	})
}
