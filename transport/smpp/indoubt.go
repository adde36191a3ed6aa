package smpp

import (
	"context"
	"fmt"
	"time"

	"github.com/smsbridge/smsbridge/transport"
	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

// maxLate bounds the submits a session remembers after giving up on them:
// an SMSC that never answers them must not grow the table without end.
const maxLate = 4096

// submitAwait sends a submit_sm on s and waits for its response. A submit
// unanswered after the response timeout is in doubt, not failed: the SMSC
// may be slow, and sending the part again would make the phone receive it
// twice. So while the link is up it waits on, holding its window slot (a
// slow SMSC gets no more submits than it answers), up to the in-doubt
// limit. Only the link's loss or that limit ends the wait with an in-doubt
// error; a response that comes after the limit is still matched (onLate).
func (t *Transport) submitAwait(ctx context.Context, s *session, p *transport.Part, body []byte) (pdu.PDU, error) {
	seq, ch, err := s.start(pdu.SubmitSM, body)
	if err != nil {
		return pdu.PDU{}, err
	}
	late := time.NewTimer(s.timeout)
	defer late.Stop()
	limit := time.NewTimer(t.cfg.InDoubtLimit)
	defer limit.Stop()
	for {
		select {
		case resp := <-ch:
			return resp, nil
		case <-late.C:
			s.log.Warn("smpp: submit_sm unanswered in time; in doubt, waiting for its answer while the link is up",
				"msg_id", p.Key, "response_timeout", s.timeout, "in_doubt_limit", t.cfg.InDoubtLimit)
			s.suspectDead(t.notify) // a dead link ends the wait sooner
			t.emit(ctx, func(h transport.Handler) {
				if sh, ok := h.(transport.SubmitHandler); ok {
					sh.SubmitInDoubt(t.cfg.Name, p.Key)
				}
			})
		case <-limit.C:
			s.giveUp(seq, ch, p.Key)
			return pdu.PDU{}, fmt.Errorf("%w: no answer within the in-doubt limit (%s)", errNoResponse, t.cfg.InDoubtLimit)
		case <-s.done:
			s.forget(seq)
			return pdu.PDU{}, fmt.Errorf("%w: %w", errLinkDown, s.err)
		case <-ctx.Done():
			s.forget(seq)
			return pdu.PDU{}, ctx.Err()
		}
	}
}

// giveUp stops waiting for the response to submit seq of part key but
// remembers it, so that a response still coming is handed to onLate.
func (s *session) giveUp(seq uint32, ch chan pdu.PDU, key string) {
	s.mu.Lock()
	delete(s.pending, seq)
	if len(s.late) < maxLate {
		s.late[seq] = key
	}
	s.mu.Unlock()
	select {
	case resp := <-ch: // it came as the limit passed
		s.forget(seq)
		s.mu.Lock()
		delete(s.late, seq)
		s.mu.Unlock()
		if s.onLate != nil {
			s.onLate(key, resp)
		}
	default:
	}
}

// onLateSubmit handles a response that came after its submit was given
// up on. An accepted one names an id the SMSC may send receipts for, and
// the part may have been sent again meanwhile: the handler records the id
// and counts the duplicate.
func (t *Transport) onLateSubmit(ctx context.Context, s *session, key string, resp pdu.PDU) {
	if resp.ID != pdu.SubmitSMResp || resp.Status != pdu.StatusOK {
		s.log.Info("smpp: late answer to a submit given up on; the SMSC did not take it",
			"msg_id", key, "command_id", fmt.Sprintf("0x%08X", resp.ID), "command_status", pdu.StatusString(resp.Status))
		return
	}
	id, err := pdu.DecodeCString(resp.Body)
	if err != nil || id == "" {
		s.log.Warn("smpp: late submit_sm_resp without a usable message_id", "msg_id", key, "err", err)
		return
	}
	t.ids.issued(id)
	s.worked.Store(true)
	s.log.Warn("smpp: late submit_sm_resp for a submit given up on: the SMSC has it, and the part may have been sent again",
		"msg_id", key, "smsc_id", id)
	t.emit(ctx, func(h transport.Handler) {
		sh, ok := h.(transport.SubmitHandler)
		if !ok {
			return
		}
		sh.LateSubmit(t.cfg.Name, key, id, func(err error) {
			if err != nil {
				s.log.Error("smpp: late submit's id not recorded; receipts for it will not match", "msg_id", key, "smsc_id", id, "err", err)
			}
		})
	})
}
