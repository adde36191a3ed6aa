package smpp

import (
	"bytes"
	"context"
	"time"

	"github.com/smsbridge/smsbridge/transport"
	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

// onDeliver handles a deliver_sm on the read loop: it decodes it and hands
// on the receipt or inbound SMS. The answer is sent once the handler has
// recorded it (from another goroutine, later), so nothing is acknowledged
// that could still be lost; the read loop goes on meanwhile.
func (t *Transport) onDeliver(ctx context.Context, s *session, p pdu.PDU) {
	sm, err := readDeliver(p)
	if err != nil {
		s.log.Warn("smpp: bad deliver_sm", "err", err, "seq", p.Seq)
		s.reply(p, pdu.GenericNack, pdu.StatusInvCmdLen, nil)
		return
	}
	// The answer waits until the handler has recorded what came; a
	// temporary error makes the SMSC keep it and send it again.
	ack := func(err error) {
		status := pdu.StatusOK
		if err != nil {
			status = pdu.StatusXPAppn
		}
		s.reply(p, pdu.DeliverSMResp, status, pdu.EncodeCString(""))
	}
	if sm.ESMClass&esmReceiptMask == esmReceipt {
		t.onReceipt(ctx, s, sm, ack)
		return
	}
	t.onInbound(ctx, s, sm, ack)
}

// readDeliver decodes the body of a deliver_sm, once, straight from the
// frame the read loop has read. (fiorix's decoder would need the frame
// encoded again and splits the UDH that the reassembler then rebuilds;
// the test SMSC keeps it as an outside check of what smsbridge writes.)
func readDeliver(p pdu.PDU) (*pdu.SM, error) { return pdu.DecodeSM(p.Body) }

// receiptOf builds a receipt from a deliver_sm, preferring the TLVs to the
// text. The returned id is the SMSC's, not yet matched to an issued one.
func receiptOf(sm *pdu.SM) (transport.Receipt, string, error) {
	text := sm.ShortMessage
	if v, ok := sm.TLV(pdu.TagMessagePayload); ok && len(text) == 0 {
		text = v
	}
	rt, err := ParseReceipt(string(text))
	var r transport.Receipt
	id := rt.ID
	if v, ok := sm.TLV(pdu.TagReceiptedMessageID); ok {
		if v = bytes.TrimRight(v, "\x00"); len(v) > 0 {
			id, err = string(v), nil
		}
	}
	r.State, r.ErrorCode, r.Done = rt.State, rt.Err, rt.DoneDate
	if v, ok := sm.TLV(pdu.TagMessageState); ok {
		if n, ok := pdu.UintValue(v); ok {
			r.State, err = stateFromTLV(n), nil
		}
	}
	if err == nil && id == "" {
		err = ErrNotReceipt
	}
	return r, id, err
}

// onReceipt takes a deliver_sm that is a delivery receipt; ack answers it
// once the handler has applied it. One that cannot be read is acknowledged
// at once: sending it again would not mend it.
func (t *Transport) onReceipt(ctx context.Context, s *session, sm *pdu.SM, ack func(error)) {
	r, rid, err := receiptOf(sm)
	if err != nil {
		s.log.Warn("smpp: unreadable delivery receipt", "err", err, "bytes", len(sm.ShortMessage)) // its text may be a message: never logged
		ack(nil)
		return
	}
	r.Transport = t.cfg.Name
	if id, ok := t.ids.resolve(rid); ok {
		r.MessageID = id
		t.emitReceipt(ctx, r, ack)
		return
	}
	if t.cfg.Leases != nil {
		// The account's binds are shared with other gateways: an id not
		// issued here is most likely theirs, which the gateway's shared
		// store matches; one whose submit_sm_resp is still on its way
		// here waits in the gateway for its submit to be recorded.
		r.MessageID = t.ids.fallback(rid)
		t.emitReceipt(ctx, r, ack)
		return
	}
	// The receipt may have overtaken its submit_sm_resp: wait a little for
	// the id to be issued before falling back to a conversion.
	go t.parkReceipt(ctx, r, rid, ack)
}

func (t *Transport) parkReceipt(ctx context.Context, r transport.Receipt, rid string, ack func(error)) {
	timer := time.NewTimer(t.cfg.ResponseTimeout)
	defer timer.Stop()
	for {
		ch := t.ids.wait()
		if id, ok := t.ids.resolve(rid); ok {
			r.MessageID = id
			t.emitReceipt(ctx, r, ack)
			return
		}
		select {
		case <-ch:
		case <-timer.C:
			r.MessageID = t.ids.fallback(rid)
			t.emitReceipt(ctx, r, ack)
			return
		case <-ctx.Done():
			ack(errStopping)
			return
		}
	}
}

func (t *Transport) emitReceipt(ctx context.Context, r transport.Receipt, ack func(error)) {
	done := func(err error) {
		if err != nil {
			t.log.Warn("smpp: receipt not applied; refused for now so that the SMSC sends it again", "smsc_id", r.MessageID, "state", r.State.String(), "err", err)
		}
		ack(err)
	}
	if !t.emit(ctx, func(h transport.Handler) { h.HandleReceipt(r, done) }) {
		done(errStopping)
	}
}

// onInbound takes one deliver_sm of an SMS from a phone; ack answers it.
// The part that completes a message is acknowledged only once the handler
// has kept the message, and refused for now when it could not (the SMSC
// then sends it again). Earlier parts of a concatenated message are
// acknowledged as they come: they wait in memory for the rest.
func (t *Transport) onInbound(ctx context.Context, s *session, sm *pdu.SM, ack func(error)) {
	in, complete := t.inbox.add(sm, time.Now())
	if !complete {
		ack(nil)
		return
	}
	in.Transport = t.cfg.Name
	done := func(err error) {
		if err != nil {
			s.log.Warn("smpp: inbound SMS not kept; refused for now so that the SMSC sends it again", "from", in.From, "err", err)
		}
		ack(err)
	}
	if !t.emit(ctx, func(h transport.Handler) { h.HandleInbound(in, done) }) {
		done(errStopping)
	}
}

// sweepInbound hands on incomplete concatenated SMS whose missing parts
// are overdue.
func (t *Transport) sweepInbound(ctx context.Context) {
	tick := time.NewTicker(inboundTimeout / 4)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			for _, in := range t.inbox.expire(now) {
				in.Transport = t.cfg.Name
				t.log.Warn("smpp: concatenated SMS incomplete, handing on what came", "from", in.From)
				t.emit(ctx, func(h transport.Handler) {
					h.HandleInbound(in, func(err error) {
						if err != nil {
							// Its parts were acknowledged long ago: nothing sends them again.
							t.log.Error("smpp: incomplete inbound SMS lost", "from", in.From, "err", err)
						}
					})
				})
			}
		}
	}
}
