package smpp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/smsbridge/smsbridge/internal/backoff"
	"github.com/smsbridge/smsbridge/transport/link"
	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

// healthyAfter is how long a session must have lasted for its loss to
// reconnect at once rather than continue the backoff, when it carried no
// traffic (a receiver bind the SMSC sent nothing on, say).
const healthyAfter = 10 * time.Second

// maxDialBackoff caps the pause between attempts to reach an SMSC that does
// not answer at all: a connection attempt costs it nothing, and the queue
// should flow within a second or two of its return. A bind the SMSC refuses
// backs off up to maxBackoff.
const maxDialBackoff = time.Second

var connIDs atomic.Uint64

// BindError is a bind refused by the SMSC.
type BindError struct{ Status uint32 }

func (e *BindError) Error() string {
	return "smpp: bind refused: " + pdu.StatusString(e.Status)
}

// bindLoop keeps one bind of kind k up until ctx is done. A session that
// worked (the SMSC accepted a submit or sent a deliver_sm on it) ends the
// backoff however short it was: an SMSC that drops links every few hundred
// PDUs must not push the reconnect delay up to maxBackoff.
func (t *Transport) bindLoop(ctx context.Context, idx int, k bindKind) {
	log := t.log.With("bind", idx, "kind", k.String())
	bound := false
	loop := link.Loop{
		Backoff:      backoff.Policy{Floor: t.minBackoff, Ceiling: t.maxBackoff, Jitter: 0.2},
		HealthyAfter: healthyAfter,
		Retrying: func(err error, failures int, pause time.Duration) time.Duration {
			if bound {
				log.Warn("smpp: link lost", "err", err, "reconnect_in", pause)
				return pause
			}
			if !errors.As(err, new(*BindError)) {
				pause = min(pause, maxDialBackoff)
			}
			log.Warn("smpp: bind failed", "err", err, "command_status", bindStatus(err), "attempt", failures, "retry_in", pause)
			return pause
		},
	}
	loop.Run(ctx, func(ctx context.Context) (bool, error) {
		s, err := t.connect(ctx, k)
		if bound = err == nil; !bound {
			return false, err
		}
		s.log.Info("smpp: bound", "bind", idx)
		err = t.serve(ctx, s)
		return s.worked.Load(), err
	})
}

func bindStatus(err error) string {
	var be *BindError
	if errors.As(err, &be) {
		return pdu.StatusString(be.Status)
	}
	return ""
}

// connect dials and binds; on success the session's read loop is running.
func (t *Transport) connect(ctx context.Context, k bindKind) (*session, error) {
	d := net.Dialer{Timeout: t.cfg.ResponseTimeout}
	conn, err := d.DialContext(ctx, "tcp", t.cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("smpp: dial: %w", err)
	}
	id := strconv.FormatUint(connIDs.Add(1), 10)
	s := newSession(conn, k, t.cfg.Window, t.cfg.ResponseTimeout, t.log.With("conn_id", id, "kind", k.String()))
	s.limit = t.bindLimiter()
	s.onRequest = func(s *session, p pdu.PDU) { t.onDeliver(ctx, s, p) }
	s.onLate = func(key string, p pdu.PDU) { t.onLateSubmit(ctx, s, key, p) }
	go s.readLoop()
	if err := t.bind(ctx, s, k); err != nil {
		s.fail(err)
		return nil, err
	}
	return s, nil
}

func (t *Transport) bind(ctx context.Context, s *session, k bindKind) error {
	id := [...]uint32{pdu.BindTransmitter, pdu.BindReceiver, pdu.BindTransceiver}[k]
	body := pdu.Bind{
		SystemID:         t.cfg.SystemID,
		Password:         t.cfg.Password,
		SystemType:       t.cfg.SystemType,
		InterfaceVersion: 0x34,
	}.Encode()
	resp, err := s.request(ctx, id, body)
	switch {
	case err != nil:
		return fmt.Errorf("smpp: bind: %w", err)
	case resp.ID == pdu.GenericNack || resp.Status != pdu.StatusOK:
		return &BindError{Status: resp.Status}
	case resp.ID != id|0x80000000:
		return fmt.Errorf("smpp: bind answered by command 0x%08X", resp.ID)
	}
	return nil
}

// serve runs a bound session until it fails or ctx ends; on ctx's end it
// lets the submits in flight finish and unbinds.
func (t *Transport) serve(ctx context.Context, s *session) error {
	go s.keepAlive(t.cfg.EnquireLink)
	if s.kind.canSubmit() {
		t.addSession(s)
		defer t.removeSession(s)
	}
	select {
	case <-s.done:
		return s.err
	case <-ctx.Done():
	}
	t.removeSession(s)
	s.drain(t.cfg.ResponseTimeout)
	s.unbind()
	return nil
}
