package pdu

import (
	"bytes"
	"fmt"
	"sort"

	fpdu "github.com/fiorix/go-smpp/smpp/pdu"
	"github.com/fiorix/go-smpp/smpp/pdu/pdufield"
)

// ReadSM decodes a submit_sm or deliver_sm frame with fiorix/go-smpp's PDU
// decoder: the test SMSC reads every submit_sm smsbridge writes with it, so
// that an implementation that is not ours checks them (the transport reads
// deliver_sm with DecodeSM, which tests hold to this decoder). Writing stays ours (fiorix's writer wraps sm_length
// past 254 octets and adds a stray byte to deliver_sm). fiorix takes the
// first TLV byte for a UDH length when esm_class has UDHI but short_message
// is empty (the UDH then travels in message_payload); only those PDUs are
// read with DecodeSM.
func ReadSM(p PDU) (*SM, error) {
	if udhiWithEmptyMessage(p.Body) {
		return DecodeSM(p.Body)
	}
	body, err := fpdu.Decode(bytes.NewReader(p.Bytes()))
	if err != nil {
		return nil, fmt.Errorf("fiorix decode: %w", err)
	}
	f := body.Fields()
	sm := &SM{
		ServiceType: text(f, pdufield.ServiceType), Source: text(f, pdufield.SourceAddr),
		Dest: text(f, pdufield.DestinationAddr), ScheduleDeliveryTime: text(f, pdufield.ScheduleDeliveryTime),
		ValidityPeriod: text(f, pdufield.ValidityPeriod),
		SourceTON:      octet(f, pdufield.SourceAddrTON), SourceNPI: octet(f, pdufield.SourceAddrNPI),
		DestTON: octet(f, pdufield.DestAddrTON), DestNPI: octet(f, pdufield.DestAddrNPI),
		ESMClass: octet(f, pdufield.ESMClass), ProtocolID: octet(f, pdufield.ProtocolID),
		PriorityFlag: octet(f, pdufield.PriorityFlag), RegisteredDelivery: octet(f, pdufield.RegisteredDelivery),
		ReplaceIfPresent: octet(f, pdufield.ReplaceIfPresentFlag), DataCoding: octet(f, pdufield.DataCoding),
		SMDefaultMsgID: octet(f, pdufield.SMDefaultMsgID),
		ShortMessage:   append(udh(f), raw(f, pdufield.ShortMessage)...),
	}
	for tag, v := range body.TLVFields() {
		sm.TLVs = append(sm.TLVs, TLV{Tag: uint16(tag), Value: bytes.Clone(v.Bytes())})
	}
	sort.Slice(sm.TLVs, func(i, j int) bool { return sm.TLVs[i].Tag < sm.TLVs[j].Tag })
	return sm, nil
}

// udhiWithEmptyMessage looks at esm_class and sm_length in a submit_sm body.
func udhiWithEmptyMessage(body []byte) bool {
	i := 0
	skipCString := func() {
		for i < len(body) && body[i] != 0 {
			i++
		}
		i++
	}
	skipCString()       // service_type
	i += 2              // source TON, NPI
	skipCString()       // source_addr
	i += 2              // dest TON, NPI
	skipCString()       // destination_addr
	if i >= len(body) { // esm_class
		return false
	}
	esm := body[i]
	i += 3        // esm_class, protocol_id, priority_flag
	skipCString() // schedule_delivery_time
	skipCString() // validity_period
	i += 4        // registered_delivery, replace_if_present, data_coding, sm_default_msg_id
	return i < len(body) && esm&0x40 != 0 && body[i] == 0
}

func text(f pdufield.Map, k pdufield.Name) string {
	if v, ok := f[k]; ok {
		return v.String()
	}
	return ""
}

func octet(f pdufield.Map, k pdufield.Name) byte {
	if v, ok := f[k]; ok {
		if b := v.Bytes(); len(b) == 1 {
			return b[0]
		}
	}
	return 0
}

func raw(f pdufield.Map, k pdufield.Name) []byte {
	if v, ok := f[k]; ok {
		if sm, ok := v.(*pdufield.SM); ok {
			return bytes.Clone(sm.Data)
		}
	}
	return nil
}

// udh rebuilds the user data header fiorix splits into its elements.
func udh(f pdufield.Map) []byte {
	list, ok := f[pdufield.GSMUserData].(*pdufield.UDHList)
	if !ok {
		return nil
	}
	out := []byte{octet(f, pdufield.UDHLength)}
	for _, ie := range list.Data {
		out = append(out, ie.IEI.Data, ie.IELength.Data)
		out = append(out, ie.IEData.Data...)
	}
	return out
}
