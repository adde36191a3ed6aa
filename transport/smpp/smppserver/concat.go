package smppserver

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

// An ESME that splits a long text itself sends it as segments, each a
// submit_sm with a UDH (IEI 0x00 or 0x08) or the SAR TLVs. Each segment is
// stored before its submit_sm_resp, under its own message_id; when the
// last one comes the text is joined and queued as one message (split again
// as the gateway's own configuration says) in the commit that closes the
// set. A set not complete within SegmentTTL is given up: every stored
// segment that asked for a receipt gets one saying EXPIRED.
//
// Receipts: each segment's message_id gets one deliver_sm receipt, the
// message's final state (DELIVRD only when every part of the message was
// delivered), since Kannel and Jasmin as ESMEs wait for one receipt per
// submit_sm that asked for it.

// segData is a segment as kept in the store (store.Segment.Data).
type segData struct {
	Coding  byte
	Body    []byte // the user data without its UDH
	Receipt byte   // registered_delivery & 0x03
	Total   int
	Source  string // as the ESME gave them; receipts swap them
	Dest    string
	Number  string // Dest in E.164
	From    string // the SMS source the ESME may use; "" for the default
	Class   byte   // priority_flag
}

func (d segData) encode() []byte {
	v := url.Values{"c": {strconv.Itoa(int(d.Coding))}, "b": {base64.StdEncoding.EncodeToString(d.Body)},
		"r": {strconv.Itoa(int(d.Receipt))}, "t": {strconv.Itoa(d.Total)}, "s": {d.Source}, "d": {d.Dest},
		"n": {d.Number}, "f": {d.From}, "p": {strconv.Itoa(int(d.Class))}}
	return []byte(v.Encode())
}

func decodeSegData(b []byte) (segData, error) {
	v, err := url.ParseQuery(string(b))
	if err != nil {
		return segData{}, fmt.Errorf("segment record: %w", err)
	}
	body, err := base64.StdEncoding.DecodeString(v.Get("b"))
	if err != nil {
		return segData{}, fmt.Errorf("segment body: %w", err)
	}
	c, err1 := strconv.ParseUint(v.Get("c"), 10, 8)
	r, err2 := strconv.ParseUint(v.Get("r"), 10, 8)
	t, err3 := strconv.Atoi(v.Get("t"))
	p, err4 := strconv.ParseUint(v.Get("p"), 10, 8)
	if err := errors.Join(err1, err2, err3, err4); err != nil || v.Get("n") == "" {
		return segData{}, fmt.Errorf("segment record %q: %v", b, err)
	}
	return segData{Coding: byte(c), Body: body, Receipt: byte(r), Total: t, Source: v.Get("s"), Dest: v.Get("d"),
		Number: v.Get("n"), From: v.Get("f"), Class: byte(p)}, nil
}

// setKey names a segment set: the ESME, the addresses, the reference and
// the total, each escaped so that the key is printable.
func setKey(esme, source, number string, c pdu.Concat) string {
	return strings.Join([]string{url.QueryEscape(esme), url.QueryEscape(source), url.QueryEscape(number),
		strconv.Itoa(int(c.Ref)), strconv.Itoa(c.Total)}, "/")
}

// smBody is a submit_sm's user data (short_message, or message_payload
// when that is empty) without its UDH, and its concatenation: Total 0 for
// a whole message. A UDH that does not concatenate (ports, pictures) is
// refused: it is no text the gateway can send.
func smBody(sm *pdu.SM) ([]byte, pdu.Concat, uint32) {
	body := sm.ShortMessage
	if len(body) == 0 {
		if v, ok := sm.TLV(pdu.TagMessagePayload); ok {
			body = v
		}
	}
	c, ok := pdu.SARConcat(sm)
	if !ok {
		c = pdu.Concat{}
	}
	if sm.ESMClass&esmUDHI != 0 {
		uc, ok, rest, valid := pdu.ParseUDH(body)
		if !valid || !ok {
			return nil, pdu.Concat{}, statusSubmit
		}
		body, c = rest, uc
	}
	if c.Total == 1 {
		c = pdu.Concat{}
	}
	return body, c, pdu.StatusOK
}

// segment stores one segment and answers it; the last one of its set
// queues the message first.
func (c *session) segment(ctx context.Context, p pdu.PDU, sm *pdu.SM, body []byte, cc pdu.Concat, number, from string) {
	d := segData{Coding: sm.DataCoding, Body: body, Receipt: sm.RegisteredDelivery & 0x03, Total: cc.Total,
		Source: sm.Source, Dest: sm.Dest, Number: number, From: from, Class: sm.PriorityFlag}
	set, err := c.srv.opt.Store.PutSegment(ctx, store.Segment{Set: setKey(c.id, sm.Source, number, cc), Seq: cc.Seq,
		ID: store.NewID(), Data: d.encode(), Received: time.Now()})
	if err != nil {
		c.srv.log.Error("smpp segment not stored", "system_id", c.id, "err", err)
		c.reply(p, pdu.StatusSysErr, nil)
		return
	}
	g, _ := set.Has(cc.Seq)
	if !set.Closed && len(set.Segments) == cc.Total {
		if status := c.srv.assemble(ctx, c.id, set); status != pdu.StatusOK {
			c.reply(p, status, nil)
			return
		}
	}
	c.reply(p, pdu.StatusOK, pdu.EncodeCString(g.ID))
}

// assemble queues the message of a complete set, closing the set in the
// same commit, and says how to answer its last segment. A text that cannot
// be sent gives the set up; a limit leaves it complete for the ESME to
// send the last segment again (or for it to expire).
func (s *Server) assemble(ctx context.Context, esme string, set store.SegmentSet) uint32 {
	var first segData
	var body []byte
	var ids []string
	failureOnly := true
	for i, g := range set.Segments {
		d, err := decodeSegData(g.Data)
		if err != nil {
			s.log.Error("unreadable SMPP segment; its set is given up", "set", set.Set, "err", err)
			s.giveUp(ctx, esme, set, "REJECTD")
			return statusSubmit
		}
		if i == 0 {
			first = d
		}
		body = append(body, d.Body...)
		if d.Receipt != 0 {
			ids = append(ids, g.ID)
			failureOnly = failureOnly && d.Receipt == 2
		}
	}
	text, status := decodeBody(first.Coding, body)
	if status != pdu.StatusOK {
		s.giveUp(ctx, esme, set, "REJECTD")
		return status
	}
	if err := s.allowUser(esme); err != nil {
		return limitStatus(err)
	}
	f := bridge.Followed{UCS2: first.Coding == codingUCS2, Source: first.From, User: esme, Class: classOf(first.Class),
		Enqueue: func(ctx context.Context, m *store.Message, w store.Watch) error {
			return s.opt.Store.CloseSegments(ctx, set.Set, m, w, nil)
		}}
	if len(ids) > 0 {
		f.Owner, f.Data = watchOwner, follow{ESME: esme, Source: first.Source, Dest: first.Dest, FailureOnly: failureOnly, IDs: ids}.encode()
	}
	_, err := s.opt.Gateway.SendFollowed(ctx, source, []string{first.Number}, text, f)
	switch {
	case err == nil, errors.Is(err, store.ErrState), errors.Is(err, store.ErrNotFound):
		// Queued, here or by a repeat of the segment on another bind.
		return pdu.StatusOK
	case errors.Is(err, bridge.ErrTextRefused):
		s.giveUp(ctx, esme, set, "REJECTD")
	case limitStatus(err) == pdu.StatusSysErr:
		s.log.Error("smpp concatenated message not stored", "system_id", esme, "err", err)
	}
	return limitStatus(err)
}

// giveUp closes a set that will not be sent, queuing a receipt with stat
// for every stored segment that asked for one.
func (s *Server) giveUp(ctx context.Context, esme string, set store.SegmentSet, stat string) {
	now := time.Now()
	var calls []store.Callback
	for _, g := range set.Segments {
		d, err := decodeSegData(g.Data)
		if err != nil || d.Receipt == 0 {
			continue
		}
		calls = append(calls, store.Callback{ID: g.ID + ".r", Owner: watchOwner + ":" + esme, Created: now,
			Data: receiptData(g.ID, d.Dest, d.Source, stat, "000", g.Received, now)})
	}
	if err := s.opt.Store.CloseSegments(context.WithoutCancel(ctx), set.Set, nil, store.Watch{}, calls); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("giving up an SMPP segment set", "set", set.Set, "err", err)
		return
	}
	s.log.Info("SMPP segment set given up", "system_id", esme, "set", set.Set, "stat", stat, "segments", len(set.Segments))
}

// sweepSegments gives up the sets older than SegmentTTL, queues those
// complete but not queued (their last segment's answer was an error), and
// forgets closed ones, every SegmentTTL/10 (at most every 30 s).
func (s *Server) sweepSegments(ctx context.Context) {
	every := min(s.opt.SegmentTTL/10, 30*time.Second)
	t := time.NewTicker(max(every, 10*time.Millisecond))
	defer t.Stop()
	for {
		if err := s.sweepRound(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("sweeping SMPP segments failed; will retry", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) sweepRound(ctx context.Context) error {
	for ctx.Err() == nil {
		sets, err := s.opt.Store.StaleSegments(time.Now().Add(-s.opt.SegmentTTL), 256)
		if err != nil || len(sets) == 0 {
			return err
		}
		for _, set := range sets {
			esme, _ := url.QueryUnescape(strings.SplitN(set.Set, "/", 2)[0])
			total := 0
			if len(set.Segments) > 0 {
				d, _ := decodeSegData(set.Segments[0].Data)
				total = d.Total
			}
			switch {
			case set.Closed:
				if err := s.opt.Store.CloseSegments(context.WithoutCancel(ctx), set.Set, nil, store.Watch{}, nil); err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
			case total > 0 && len(set.Segments) == total:
				// assemble gives up a text it cannot send itself.
				switch s.assemble(ctx, esme, set) {
				case pdu.StatusThrottled, pdu.StatusMsgQFul, pdu.StatusSysErr:
					s.giveUp(ctx, esme, set, "EXPIRED")
				}
			default:
				s.giveUp(ctx, esme, set, "EXPIRED")
			}
		}
		if len(sets) < 256 {
			return nil
		}
	}
	return ctx.Err()
}
