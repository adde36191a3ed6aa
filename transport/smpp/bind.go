package smpp

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync/atomic"
	"time"

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

// bindLoop keeps one bind of kind k up until ctx is done.
func (t *Transport) bindLoop(ctx context.Context, idx int, k bindKind) {
	log := t.log.With("bind", idx, "kind", k.String())
	failures := 0
	for ctx.Err() == nil {
		s, err := t.connect(ctx, k)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			delay := t.backoff(failures)
			if !errors.As(err, new(*BindError)) {
				delay = min(delay, maxDialBackoff)
			}
			failures++
			log.Warn("smpp: bind failed", "err", err, "command_status", bindStatus(err), "attempt", failures, "retry_in", delay)
			sleep(ctx, delay)
			continue
		}
		started := time.Now()
		s.log.Info("smpp: bound", "bind", idx)
		err = t.serve(ctx, s)
		if ctx.Err() != nil {
			return
		}
		// A session that worked (the SMSC accepted a submit or sent a
		// deliver_sm on it) ends the backoff however short it was: an SMSC
		// that drops links every few hundred PDUs must not push the
		// reconnect delay up to maxBackoff.
		if s.worked.Load() || time.Since(started) >= healthyAfter {
			failures = 0
		}
		delay := time.Duration(0)
		if failures > 0 {
			delay = t.backoff(failures - 1)
		}
		failures++
		log.Warn("smpp: link lost", "err", err, "reconnect_in", delay)
		sleep(ctx, delay)
	}
}

// backoff returns the pause after n earlier failures: doubling from
// minBackoff to maxBackoff, with jitter so many binds do not retry in step.
func (t *Transport) backoff(n int) time.Duration {
	d := t.minBackoff
	for range n {
		if d >= t.maxBackoff/2 {
			d = t.maxBackoff
			break
		}
		d *= 2
	}
	return d/2 + rand.N(d/2+1)
}

func bindStatus(err error) string {
	var be *BindError
	if errors.As(err, &be) {
		return pdu.StatusString(be.Status)
	}
	return ""
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
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
