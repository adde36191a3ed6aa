package smppserver

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

// rawESME is an ESME written with the PDU codec: each request's answer is
// read back while deliver_sm that come meanwhile are kept (and answered
// with ack unless it is false).
type rawESME struct {
	t       *testing.T
	c       net.Conn
	r       *bufio.Reader
	seq     uint32
	ack     bool
	delived []*pdu.SM
}

func dialESME(t *testing.T, addr string, bind uint32) *rawESME {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	e := &rawESME{t: t, c: c, r: bufio.NewReader(c), ack: true}
	body := pdu.Bind{SystemID: "esme", Password: "pw", InterfaceVersion: 0x34}.Encode()
	if p := e.call(bind, body); p.Status != pdu.StatusOK {
		t.Fatalf("bind: %s", pdu.StatusString(p.Status))
	}
	return e
}

// send writes a request and returns its sequence number.
func (e *rawESME) send(id uint32, body []byte) uint32 {
	e.t.Helper()
	e.seq++
	if _, err := e.c.Write(pdu.PDU{ID: id, Seq: e.seq, Body: body}.Bytes()); err != nil {
		e.t.Fatal(err)
	}
	return e.seq
}

// call sends a request and waits for its answer.
func (e *rawESME) call(id uint32, body []byte) pdu.PDU {
	e.t.Helper()
	return e.answer(e.send(id, body))
}

// answer reads until the answer to seq comes.
func (e *rawESME) answer(seq uint32) pdu.PDU {
	e.t.Helper()
	for {
		p := e.read(10 * time.Second)
		if p.IsResponse() && p.Seq == seq {
			return p
		}
	}
}

// read reads one PDU, keeping a deliver_sm.
func (e *rawESME) read(within time.Duration) pdu.PDU {
	e.t.Helper()
	e.c.SetReadDeadline(time.Now().Add(within))
	p, err := pdu.Read(e.r)
	if err != nil {
		e.t.Fatalf("reading: %v", err)
	}
	e.keep(p)
	return p
}

// keep keeps (and answers) p when it is a deliver_sm.
func (e *rawESME) keep(p pdu.PDU) {
	if p.ID != pdu.DeliverSM {
		return
	}
	sm, err := pdu.ReadSM(p)
	if err != nil {
		e.t.Errorf("deliver_sm: %v", err)
		return
	}
	e.delived = append(e.delived, sm)
	if e.ack {
		e.c.Write(pdu.PDU{ID: pdu.DeliverSMResp, Seq: p.Seq, Body: []byte{0}}.Bytes())
	}
}

// drain reads and keeps what comes for d; it may run on its own goroutine.
func (e *rawESME) drain(d time.Duration) {
	e.c.SetReadDeadline(time.Now().Add(d))
	for {
		p, err := pdu.Read(e.r)
		if err != nil {
			return
		}
		e.keep(p)
	}
}

// submit sends sm and returns the answer's status and message_id.
func (e *rawESME) submit(sm *pdu.SM) (uint32, string) {
	e.t.Helper()
	body, err := sm.Encode()
	if err != nil {
		e.t.Fatal(err)
	}
	p := e.call(pdu.SubmitSM, body)
	return p.Status, strings.TrimRight(string(p.Body), "\x00")
}

// deliveries waits until n deliver_sm have come and returns them.
func (e *rawESME) deliveries(n int) []*pdu.SM {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for len(e.delived) < n {
		if time.Now().After(deadline) {
			e.t.Fatalf("%d deliver_sm, want %d", len(e.delived), n)
		}
		e.read(time.Until(deadline))
	}
	return e.delived
}

// receiptOf is the id and stat a receipt's text gives.
func receiptOf(sm *pdu.SM) (id, stat string) {
	for _, f := range strings.Fields(string(sm.ShortMessage)) {
		if v, ok := strings.CutPrefix(f, "id:"); ok {
			id = v
		}
		if v, ok := strings.CutPrefix(f, "stat:"); ok {
			stat = v
		}
	}
	return id, stat
}
