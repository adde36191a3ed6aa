package smsctest

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

// conn is one client connection.
type conn struct {
	srv *Server
	nc  net.Conn
	seq atomic.Uint32

	wmu     sync.Mutex
	holding bool   // answers wait in held while more requests are buffered
	held    []byte // PDUs not yet written

	// Guarded by srv.mu.
	bound    bool
	kind     uint32 // the bind command id
	systemID string
	submits  int // submit_sm received on this connection
}

func (c *conn) isBound() bool { return c.bound }

func (c *conn) canReceive() bool {
	return c.bound && (c.kind == pdu.BindReceiver || c.kind == pdu.BindTransceiver)
}

func (c *conn) serve() {
	defer func() {
		c.nc.Close()
		c.srv.mu.Lock()
		delete(c.srv.conns, c)
		c.srv.mu.Unlock()
	}()
	r := bufio.NewReader(c.nc)
	for {
		p, err := pdu.Read(r)
		if err != nil {
			return
		}
		// A client with a window sends many requests at once: their
		// answers are held while more whole requests wait in the buffer,
		// then go out in one write, as a production SMSC batches them.
		c.hold(true)
		ok := c.handle(p)
		if !ok || !wholePDUBuffered(r) {
			c.hold(false)
		}
		if !ok {
			return
		}
	}
}

// wholePDUBuffered reports whether the next PDU can be read without
// waiting for the network.
func wholePDUBuffered(r *bufio.Reader) bool {
	if r.Buffered() < 4 {
		return false
	}
	b, err := r.Peek(4)
	if err != nil {
		return false
	}
	n := int(b[0])<<24 | int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	return r.Buffered() >= n
}

// hold starts holding written PDUs back, or stops and writes what is held.
func (c *conn) hold(on bool) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.holding = on
	if !on && len(c.held) > 0 {
		c.send(c.held)
		c.held = c.held[:0]
	}
}

// write sends one PDU, or holds it (see serve); errors surface as the read
// loop's failure.
func (c *conn) write(p pdu.PDU) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.holding {
		c.held = append(c.held, p.Bytes()...)
		return
	}
	c.send(p.Bytes())
}

func (c *conn) send(b []byte) {
	_ = c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.nc.Write(b); err != nil {
		c.nc.Close()
	}
}

func (c *conn) reply(p pdu.PDU, status uint32, body []byte) {
	c.write(pdu.PDU{ID: p.ID | 0x80000000, Status: status, Seq: p.Seq, Body: body})
}

func (c *conn) nextSeq() uint32 {
	if v := c.seq.Add(1) & 0x7FFFFFFF; v != 0 {
		return v
	}
	return c.seq.Add(1) & 0x7FFFFFFF
}

// handle processes one PDU; false ends the connection.
func (c *conn) handle(p pdu.PDU) bool {
	switch p.ID {
	case pdu.BindTransmitter, pdu.BindReceiver, pdu.BindTransceiver:
		c.bind(p)
	case pdu.SubmitSM:
		c.submit(p)
	case pdu.EnquireLink:
		c.srv.mu.Lock()
		ignore := c.srv.ignoreEnquire
		c.srv.mu.Unlock()
		if !ignore {
			c.reply(p, pdu.StatusOK, nil)
		}
	case pdu.Unbind:
		c.reply(p, pdu.StatusOK, nil)
		return false
	case pdu.DeliverSMResp:
		c.srv.mu.Lock()
		c.srv.deliverResps = append(c.srv.deliverResps, p.Status)
		c.srv.notifyLocked()
		c.srv.mu.Unlock()
	case pdu.EnquireLinkResp, pdu.GenericNack, pdu.UnbindResp:
	default:
		c.write(pdu.PDU{ID: pdu.GenericNack, Status: pdu.StatusInvCmdID, Seq: p.Seq})
	}
	return true
}

func (c *conn) bind(p pdu.PDU) {
	b, err := pdu.DecodeBind(p.Body)
	s := c.srv
	s.mu.Lock()
	s.bindAttempts++
	status := pdu.StatusOK
	switch {
	case err != nil:
		status = pdu.StatusInvCmdLen
	case c.bound:
		status = pdu.StatusAlyBnd
	case s.opt.SystemID != "" && b.SystemID != s.opt.SystemID:
		status = pdu.StatusInvSysID
	case s.opt.Password != "" && b.Password != s.opt.Password:
		status = pdu.StatusInvPaswd
	default:
		c.bound, c.kind, c.systemID = true, p.ID, b.SystemID
	}
	flush := c.takeQueuedLocked()
	s.mu.Unlock()
	c.reply(p, status, pdu.EncodeCString("smsctest"))
	for _, sm := range flush {
		c.deliver(sm)
	}
}

// takeQueuedLocked removes the receipts this new bind can take.
func (c *conn) takeQueuedLocked() []*pdu.SM {
	if !c.canReceive() {
		return nil
	}
	var out []*pdu.SM
	keep := c.srv.undelivered[:0]
	for _, q := range c.srv.undelivered {
		if q.systemID == c.systemID {
			out = append(out, q.sm)
		} else {
			keep = append(keep, q)
		}
	}
	c.srv.undelivered = keep
	return out
}

// deliver sends a deliver_sm; its response is not awaited.
func (c *conn) deliver(sm *pdu.SM) {
	body, err := sm.Encode()
	if err != nil {
		c.srv.log.Error("smsctest: deliver_sm", "err", err)
		return
	}
	c.write(pdu.PDU{ID: pdu.DeliverSM, Seq: c.nextSeq(), Body: body})
}

func (c *conn) submit(p pdu.PDU) {
	s := c.srv
	sm, err := pdu.ReadSM(p)
	if err != nil {
		c.write(pdu.PDU{ID: pdu.GenericNack, Status: pdu.StatusInvCmdLen, Seq: p.Seq})
		return
	}
	s.mu.Lock()
	if !c.bound || c.kind == pdu.BindReceiver {
		s.mu.Unlock()
		c.reply(p, pdu.StatusInvBnd, nil)
		return
	}
	sub := newSubmit(sm, c.systemID)
	c.submits++
	drop := s.dropEvery > 0 && c.submits >= s.dropEvery
	delay := s.respDelay
	switch {
	case drop:
		sub.Held = true
	case s.hold:
		sub.Held = true
	case s.throttle > 0:
		s.throttle--
		sub.Status = pdu.StatusThrottled
	case s.reject != 0:
		sub.Status = s.reject
	default:
		sub.MessageID = fmt.Sprintf("%X", s.nextID)
		s.nextID++
	}
	if !s.opt.Forget {
		s.submits = append(s.submits, sub)
		s.notifyLocked()
	}
	s.mu.Unlock()
	if s.opt.OnSubmit != nil {
		s.opt.OnSubmit(sub)
	}
	switch {
	case drop:
		c.nc.Close()
	case delay > 0:
		s.wg.Go(func() {
			t := time.NewTimer(delay)
			defer t.Stop()
			select {
			case <-t.C:
				c.answer(p, sub)
			case <-s.quit:
			}
		})
	default:
		c.answer(p, sub)
	}
}

func (c *conn) answer(p pdu.PDU, sub Submit) {
	s := c.srv
	switch {
	case sub.Held:
		return
	case sub.Status != pdu.StatusOK:
		c.reply(p, sub.Status, nil)
		return
	}
	wantReceipt := sub.RegisteredDelivery&0x03 != 0 && s.opt.ReceiptDelay > 0
	if wantReceipt && s.opt.ReceiptFirst {
		s.sendReceipt(c, sub)
	}
	c.reply(p, pdu.StatusOK, pdu.EncodeCString(sub.MessageID))
	if wantReceipt && !s.opt.ReceiptFirst {
		s.wg.Go(func() {
			t := time.NewTimer(s.opt.ReceiptDelay)
			defer t.Stop()
			select {
			case <-t.C:
				s.sendReceipt(c, sub)
			case <-s.quit:
			}
		})
	}
}

func newSubmit(sm *pdu.SM, systemID string) Submit {
	sub := Submit{
		Source: sm.Source, Dest: sm.Dest, SourceTON: sm.SourceTON, DestTON: sm.DestTON,
		ESMClass: sm.ESMClass, DataCoding: sm.DataCoding, RegisteredDelivery: sm.RegisteredDelivery,
		ValidityPeriod: sm.ValidityPeriod, ShortMessage: sm.ShortMessage,
		TLVs: make(map[uint16][]byte, len(sm.TLVs)), SystemID: systemID,
	}
	for _, t := range sm.TLVs {
		sub.TLVs[t.Tag] = t.Value
	}
	if sm.ESMClass&0x40 != 0 && len(sm.ShortMessage) > 0 && int(sm.ShortMessage[0]) < len(sm.ShortMessage) {
		n := int(sm.ShortMessage[0]) + 1
		sub.UDH, sub.ShortMessage = sm.ShortMessage[:n], sm.ShortMessage[n:]
	}
	return sub
}

// sendReceipt delivers a DELIVRD receipt for sub to via when it can receive
// (with ReceiptsElsewhere, to another bind first), else to another
// receiving bind of the same system_id, else queues it until one binds.
func (s *Server) sendReceipt(via *conn, sub Submit) {
	sm := s.receipt(sub)
	s.mu.Lock()
	target := via
	if !via.canReceive() || s.opt.ReceiptsElsewhere {
		if !via.canReceive() {
			target = nil
		}
		for c := range s.conns {
			if c != via && c.canReceive() && c.systemID == sub.SystemID {
				target = c
				break
			}
		}
	}
	if target == nil {
		s.undelivered = append(s.undelivered, queued{systemID: sub.SystemID, sm: sm})
	}
	s.mu.Unlock()
	if target != nil {
		target.deliver(sm)
		if s.opt.OnReceipt != nil {
			s.opt.OnReceipt()
		}
	}
}

func (s *Server) receipt(sub Submit) *pdu.SM {
	id := sub.MessageID
	sm := &pdu.SM{
		SourceTON: sub.DestTON, SourceNPI: 1, Source: sub.Dest,
		DestTON: sub.SourceTON, Dest: sub.Source, ESMClass: 0x04,
	}
	if s.opt.ReceiptIDDecimal {
		var v uint64
		fmt.Sscanf(id, "%X", &v)
		id = fmt.Sprint(v)
	} else {
		sm.TLVs = []pdu.TLV{
			{Tag: pdu.TagReceiptedMessageID, Value: append([]byte(id), 0)},
			pdu.Uint8TLV(pdu.TagMessageState, 2),
		}
	}
	now := time.Now().UTC().Format("0601021504")
	text := []rune(strings.ReplaceAll(sub.Text(), "\n", " "))
	if len(text) > 20 {
		text = text[:20]
	}
	sm.ShortMessage = fmt.Appendf(nil, "id:%s sub:001 dlvrd:001 submit date:%s done date:%s stat:DELIVRD err:000 text:%s",
		id, now, now, string(text))
	if len(sm.ShortMessage) > pdu.MaxShortMessage {
		sm.ShortMessage = sm.ShortMessage[:pdu.MaxShortMessage]
	}
	return sm
}
