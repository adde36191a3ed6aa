package pdu

import (
	"reflect"
	"testing"
)

// TestReadSMMatchesOurEncoding: what our encoder writes, fiorix's decoder
// reads back field for field, UDH and TLVs included.
func TestReadSMMatchesOurEncoding(t *testing.T) {
	t.Parallel()
	cases := map[string]SM{
		"plain": {Source: "ACME", SourceTON: 5, Dest: "14155550100", DestTON: 1, DestNPI: 1,
			RegisteredDelivery: 1, ShortMessage: []byte("hello")},
		"udh": {Source: "15550100", SourceTON: 1, SourceNPI: 1, Dest: "447911123456", DestTON: 1, DestNPI: 1,
			ESMClass: 0x40, DataCoding: 8, ValidityPeriod: "261126143000000+",
			ShortMessage: []byte{5, 0, 3, 0x2a, 3, 2, 0, 'h', 0, 'i'}},
		"sar tlvs": {Source: "ACME", Dest: "14155550100", ShortMessage: []byte("part"),
			TLVs: []TLV{Uint16TLV(0x020C, 7), Uint8TLV(0x020E, 2), Uint8TLV(0x020F, 1)}},
		"payload with udhi": {Source: "ACME", Dest: "14155550100", ESMClass: 0x40,
			TLVs: []TLV{{Tag: 0x0424, Value: []byte{5, 0, 3, 1, 2, 1, 'x'}}}},
	}
	for name, sm := range cases {
		body, err := sm.Encode()
		if err != nil {
			t.Fatal(err)
		}
		got, err := ReadSM(PDU{ID: SubmitSM, Seq: 7, Body: body})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(got.ShortMessage) == 0 {
			got.ShortMessage = nil // empty either way
		}
		if !reflect.DeepEqual(*got, sm) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, *got, sm)
		}
	}
}

func FuzzReadSM(f *testing.F) {
	sm := SM{Source: "ACME", Dest: "1415", ESMClass: 0x40, ShortMessage: []byte{5, 0, 3, 1, 2, 1, 'x'}}
	body, _ := sm.Encode()
	f.Add(body)
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 5, 0, 3})
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > 4096 {
			return
		}
		ReadSM(PDU{ID: DeliverSM, Seq: 1, Body: body}) // must not panic
	})
}

// TestDecodeSMReadsAsFiorix: the transport decodes deliver_sm with DecodeSM
// alone; on what SMSCs send (receipts with TLVs, UDH parts, SAR parts,
// payloads) it reads every field as fiorix's decoder does.
func TestDecodeSMReadsAsFiorix(t *testing.T) {
	t.Parallel()
	cases := map[string]SM{
		"receipt": {Source: "14155550100", SourceTON: 1, SourceNPI: 1, Dest: "ACME", DestTON: 5, ESMClass: 0x04,
			ShortMessage: []byte("id:0123456789 sub:001 dlvrd:001 submit date:2611261530 done date:2611261531 stat:DELIVRD err:000 text:hi"),
			TLVs:         []TLV{{Tag: TagReceiptedMessageID, Value: []byte("0123456789\x00")}, Uint8TLV(TagMessageState, 2)}},
		"udh ucs2 part": {Source: "447911123456", SourceTON: 1, Dest: "15550100", ESMClass: 0x40, DataCoding: 8,
			ShortMessage: []byte{5, 0, 3, 0x2a, 3, 2, 0, 'h', 0, 'i'}},
		"udh 16-bit ref": {Source: "447911123456", Dest: "15550100", ESMClass: 0x40,
			ShortMessage: []byte{6, 8, 4, 0x12, 0x34, 2, 1, 'x', 'y'}},
		"sar part": {Source: "447911123456", Dest: "15550100", ShortMessage: []byte("part"),
			TLVs: []TLV{Uint16TLV(TagSARMsgRefNum, 7), Uint8TLV(TagSARTotalSegments, 2), Uint8TLV(TagSARSegmentSeqnum, 1)}},
		"payload": {Source: "447911123456", Dest: "15550100",
			TLVs: []TLV{{Tag: TagMessagePayload, Value: []byte("a long text in message_payload")}}},
		"payload with udhi": {Source: "447911123456", Dest: "15550100", ESMClass: 0x40,
			TLVs: []TLV{{Tag: TagMessagePayload, Value: []byte{5, 0, 3, 1, 2, 1, 'x'}}}},
	}
	for name, sm := range cases {
		body, err := sm.Encode()
		if err != nil {
			t.Fatal(err)
		}
		p := PDU{ID: DeliverSM, Seq: 9, Body: body}
		want, err := ReadSM(p)
		if err != nil {
			t.Fatalf("%s: fiorix: %v", name, err)
		}
		got, err := DecodeSM(p.Body)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, m := range []*SM{want, got} {
			if len(m.ShortMessage) == 0 {
				m.ShortMessage = nil // empty either way
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n  ours %+v\nfiorix %+v", name, *got, *want)
		}
	}
}
