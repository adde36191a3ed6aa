package smppserver

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"
	"unicode/utf16"

	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

// Data codings of submit_sm that smsbridge reads.
const (
	codingDefault    = 0x00 // the SMSC default alphabet: GSM 03.38, one septet per octet
	codingASCII      = 0x01
	codingLatin1     = 0x03
	codingUCS2       = 0x08
	esmUDHI          = 0x40
	esmReceipt       = 0x04 // esm_class of a deliver_sm that is an SMSC delivery receipt
	tonInternational = 1
	statusSubmit     = 0x45 // ESME_RSUBMITFAIL
	statusBadDCS     = 0x104
)

// decodeBody is the text of a submit_sm's user data in data coding
// coding, or the status refusing it.
func decodeBody(coding byte, body []byte) (string, uint32) {
	switch coding {
	case codingDefault:
		return sms.DecodeGSM7(body), pdu.StatusOK
	case codingASCII, codingLatin1:
		r := make([]rune, len(body))
		for i, b := range body {
			r[i] = rune(b)
		}
		return string(r), pdu.StatusOK
	case codingUCS2:
		if len(body)%2 != 0 {
			return "", pdu.StatusInvMsgLen
		}
		u := make([]uint16, 0, len(body)/2)
		for i := 0; i+1 < len(body); i += 2 {
			u = append(u, uint16(body[i])<<8|uint16(body[i+1]))
		}
		return string(utf16.Decode(u)), pdu.StatusOK
	}
	return "", statusBadDCS
}

// follow is what a watch keeps of a submit_sm asking for a receipt.
type follow struct {
	ESME         string // the system_id the receipt goes to
	Source, Dest string // as the ESME gave them; the receipt swaps them
	FailureOnly  bool   // registered_delivery 2: a receipt only on failure
	// IDs are the message_ids the ESME was given for the segments of a
	// concatenated submit that asked for receipts: each gets the message's
	// receipt. Empty: the message's own id.
	IDs []string
}

func (f follow) encode() []byte {
	v := url.Values{"e": {f.ESME}, "s": {f.Source}, "d": {f.Dest}}
	if f.FailureOnly {
		v.Set("f", "1")
	}
	if len(f.IDs) > 0 {
		v["i"] = f.IDs
	}
	return []byte(v.Encode())
}

func decodeFollow(b []byte) (follow, error) {
	v, err := url.ParseQuery(string(b))
	if err != nil || v.Get("e") == "" {
		return follow{}, fmt.Errorf("smpp watch %q: %v", b, err)
	}
	return follow{ESME: v.Get("e"), Source: v.Get("s"), Dest: v.Get("d"), FailureOnly: v.Get("f") == "1", IDs: v["i"]}, nil
}

// follow queues a receipt for every watched message that is final, on
// every kick and at least every followEvery.
func (s *Server) follow(ctx context.Context) {
	t := time.NewTicker(followEvery)
	defer t.Stop()
	for {
		if err := s.followRound(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("looking for SMPP receipts failed; will retry", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-t.C:
		}
	}
}

func (s *Server) followRound(ctx context.Context) error {
	after := ""
	for ctx.Err() == nil {
		ws, err := s.opt.Store.Watches(watchOwner, after, 256)
		if err != nil || len(ws) == 0 {
			return err
		}
		for _, w := range ws {
			after = w.Msg
			if err := s.followOne(ctx, w); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}

func (s *Server) followOne(ctx context.Context, w store.Watch) error {
	sctx := context.WithoutCancel(ctx)
	m, err := s.opt.Store.Message(w.Msg)
	if errors.Is(err, store.ErrNotFound) {
		return s.opt.Store.Tell(sctx, w.Msg, nil, true, nil)
	}
	if err != nil {
		return err
	}
	f, err := decodeFollow(w.Data)
	if err != nil || len(m.Recipients) != 1 {
		s.log.Error("unreadable SMPP watch dropped", "msg_id", w.Msg, "err", err)
		return s.opt.Store.Tell(sctx, w.Msg, nil, true, nil)
	}
	parts := m.Recipients[0].Parts
	stat, errText, done := receiptState(parts)
	if done.IsZero() {
		return nil
	}
	var calls []store.Callback
	if !(f.FailureOnly && stat == "DELIVRD") {
		ids := f.IDs
		if len(ids) == 0 {
			ids = []string{m.ID}
		}
		for _, id := range ids {
			calls = append(calls, store.Callback{ID: id + ".r", Owner: watchOwner + ":" + f.ESME, Created: time.Now(),
				Data: receiptData(id, f.Dest, f.Source, stat, errText, m.Received, done)})
		}
	}
	if err := s.opt.Store.Tell(sctx, w.Msg, nil, true, calls); err != nil {
		return err
	}
	return nil
}

// receiptTime is the receipt text's date format (SMPP 3.4 appendix B).
const receiptTime = "0601021504"

// receiptData is a receipt callback's record: for message id, from src to
// dst (the submit's addresses swapped), its stat and err, submitted at
// submit, final at done.
func receiptData(id, src, dst, stat, errText string, submit, done time.Time) []byte {
	v := url.Values{"id": {id}, "src": {src}, "dst": {dst}, "stat": {stat}, "err": {errText},
		"submit": {submit.UTC().Format(receiptTime)}, "done": {done.UTC().Format(receiptTime)}}
	return []byte(v.Encode())
}

// receiptState is the receipt's stat and err for a recipient's parts, and
// when it became final (zero while it is not).
func receiptState(parts []store.Part) (stat, errText string, done time.Time) {
	stat = "DELIVRD"
	for _, p := range parts {
		if !p.State.Final() {
			return "", "", time.Time{}
		}
		if p.Updated.After(done) {
			done = p.Updated
		}
		switch {
		case p.State == store.PartDelivered || stat != "DELIVRD":
		case p.State == store.PartExpired:
			stat = "EXPIRED"
		case p.State == store.PartCancelled:
			stat = "DELETED"
		case p.TransportID == "" && p.AlsoID == "":
			stat = "REJECTD"
		default:
			stat = "UNDELIV"
		}
	}
	return stat, "000", done
}

// messageState is the message_state TLV value of a receipt's stat.
var messageState = map[string]byte{"DELIVRD": 2, "EXPIRED": 3, "DELETED": 4, "UNDELIV": 5, "REJECTD": 8}

// pushReceipts sends the ESME's stored receipts and SMS from phones while
// the session may receive, each removed once its deliver_sm_resp says
// ESME_ROK.
// One session at a time pushes an ESME's callbacks, each round from a
// fresh read: two receiver binds of one system_id never both send the same
// receipt or SMS.
func (c *session) pushReceipts(ctx context.Context) {
	turn := c.srv.pushTurn(c.id)
	for ctx.Err() == nil {
		select {
		case turn <- struct{}{}:
		case <-ctx.Done():
			return
		}
		n := c.pushRound(ctx)
		<-turn
		if n == 0 {
			select {
			case <-ctx.Done():
			case <-time.After(receiptPoll):
			}
		}
	}
}

// pushTurn is the token an ESME's sessions take turns with.
func (s *Server) pushTurn(esme string) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.turns[esme]
	if t == nil {
		t = make(chan struct{}, 1)
		s.turns[esme] = t
	}
	return t
}

// pushRound sends what is due now and says how much that was.
func (c *session) pushRound(ctx context.Context) int {
	due, err := c.srv.opt.Store.DueCallbacks(watchOwner+":"+c.id, time.Now(), receiptWindow)
	if err != nil {
		c.srv.log.Error("reading SMPP receipts", "system_id", c.id, "err", err)
	}
	for _, cb := range due {
		if err := c.sendReceipt(ctx, cb); err != nil {
			if ctx.Err() == nil {
				c.srv.log.Info("SMPP receipt not taken; will offer it again", "system_id", c.id, "msg_id", cb.ID, "err", err)
				_ = c.srv.opt.Store.CallbackRetry(context.WithoutCancel(ctx), cb.ID, time.Now().Add(receiptRetry), err.Error())
			}
		}
	}
	return len(due)
}

func (c *session) sendReceipt(ctx context.Context, cb store.Callback) error {
	v, err := url.ParseQuery(string(cb.Data))
	if err != nil {
		return c.srv.opt.Store.CallbackDone(context.WithoutCancel(ctx), cb.ID)
	}
	var sm pdu.SM
	if v.Get("k") == moKind {
		sm = moSM(v)
	} else {
		id, stat := v.Get("id"), v.Get("stat")
		text := fmt.Sprintf("id:%s sub:001 dlvrd:%s submit date:%s done date:%s stat:%s err:%s text:",
			id, map[bool]string{true: "001", false: "000"}[stat == "DELIVRD"], v.Get("submit"), v.Get("done"), stat, v.Get("err"))
		sm = pdu.SM{Source: v.Get("src"), Dest: v.Get("dst"), ESMClass: esmReceipt, ShortMessage: []byte(text),
			TLVs: []pdu.TLV{{Tag: pdu.TagReceiptedMessageID, Value: append([]byte(id), 0)}, pdu.Uint8TLV(pdu.TagMessageState, messageState[stat])}}
	}
	body, err := sm.Encode()
	if err != nil {
		return err
	}
	ack := make(chan uint32, 1)
	c.mu.Lock()
	c.seq++
	seq := c.seq
	c.acks[seq] = ack
	c.mu.Unlock()
	if err := c.write(pdu.PDU{ID: pdu.DeliverSM, Seq: seq, Body: body}); err != nil {
		return err
	}
	select {
	case st := <-ack:
		if st != pdu.StatusOK {
			return fmt.Errorf("deliver_sm_resp %s", pdu.StatusString(st))
		}
		return c.srv.opt.Store.CallbackDone(context.WithoutCancel(ctx), cb.ID)
	case <-time.After(respTimeout):
		c.mu.Lock()
		delete(c.acks, seq)
		c.mu.Unlock()
		return errors.New("no deliver_sm_resp")
	case <-ctx.Done():
		return ctx.Err()
	}
}
