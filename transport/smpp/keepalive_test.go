package smpp

import (
	"bufio"
	"net"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

// TestAnswersSMSCEnquireLink: enquire_link works both ways; here the SMSC
// asks and the transport must answer on its read loop, with the same
// sequence number.
func TestAnswersSMSCEnquireLink(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	startTransport(t, testConfig(ln.Addr().String()), newRecorder())
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	bind, err := pdu.Read(r)
	if err != nil || bind.ID != pdu.BindTransceiver {
		t.Fatalf("first PDU %+v, %v; want bind_transceiver", bind, err)
	}
	write := func(p pdu.PDU) {
		if _, err := c.Write(p.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	write(pdu.PDU{ID: pdu.BindTransceiver | 0x80000000, Seq: bind.Seq, Body: pdu.EncodeCString("raw")})
	write(pdu.PDU{ID: pdu.EnquireLink, Seq: 4242})
	for range 10 {
		p, err := pdu.Read(r)
		if err != nil {
			t.Fatal(err)
		}
		if p.ID == pdu.EnquireLinkResp {
			if p.Seq != 4242 || p.Status != pdu.StatusOK {
				t.Errorf("enquire_link_resp %+v", p)
			}
			return
		}
	}
	t.Fatal("no enquire_link_resp among the first 10 PDUs")
}
