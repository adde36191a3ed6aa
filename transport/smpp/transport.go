package smpp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smsbridge/smsbridge/transport"
	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

// Transport is an SMPP client with one or more binds.
type Transport struct {
	cfg   Config
	kinds []bindKind
	log   *slog.Logger
	ids   *idMatcher
	inbox *reassembler

	// events carries receipts and inbound SMS from read loops to the
	// handler, so a slow handler never stalls a read loop directly.
	events  chan func(transport.Handler)
	running atomic.Bool

	// Backoff bounds between bind attempts; fields so tests can shorten them.
	minBackoff, maxBackoff time.Duration

	mu       sync.Mutex
	sessions []*session // bound sessions that can submit
	changed  chan struct{}
	waiters  int
	next     int // round-robin start among sessions
}

var _ transport.Transport = (*Transport)(nil)

// New checks cfg and returns a transport; Run connects it.
func New(cfg Config) (*Transport, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	kinds, _ := bindKinds(cfg.Bind)
	log := cfg.Logger.With("transport", cfg.Name)
	inbox := newReassembler(inboundTimeout)
	inbox.packed = cfg.GSM7Coding == "packed"
	return &Transport{
		cfg:        cfg,
		kinds:      kinds,
		log:        log,
		ids:        newIDMatcher(cfg.ReceiptIDFormat),
		inbox:      inbox,
		events:     make(chan func(transport.Handler), 1024),
		minBackoff: time.Second,
		maxBackoff: time.Minute,
		changed:    make(chan struct{}),
	}, nil
}

// Name returns the configured name.
func (t *Transport) Name() string { return t.cfg.Name }

// Up reports whether at least one bind that can submit is bound.
func (t *Transport) Up() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.sessions) > 0
}

// Run keeps the binds up and delivers events to h until ctx is done.
func (t *Transport) Run(ctx context.Context, h transport.Handler) error {
	if !t.running.CompareAndSwap(false, true) {
		return errors.New("smpp: Run called twice")
	}
	defer t.running.Store(false)
	var wg sync.WaitGroup
	wg.Go(func() { t.dispatch(ctx, h) })
	wg.Go(func() { t.sweepInbound(ctx) })
	for i := range t.cfg.Binds {
		if t.cfg.Leases != nil {
			wg.Go(func() { t.leasedBind(ctx, i) })
			continue
		}
		for _, k := range t.kinds {
			wg.Go(func() { t.bindLoop(ctx, i, k) })
		}
	}
	wg.Wait()
	return nil
}

// dispatch calls the handler for each event, outside every read loop.
func (t *Transport) dispatch(ctx context.Context, h transport.Handler) {
	for {
		select {
		case ev := <-t.events:
			ev(h)
		case <-ctx.Done():
			return
		}
	}
}

// emit queues an event; it blocks (back-pressure) while the queue is full
// and gives up when Run ends.
func (t *Transport) emit(ctx context.Context, ev func(transport.Handler)) bool {
	select {
	case t.events <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

// Send submits one part on a bound bind with a free window slot, waiting
// for one while none is free.
func (t *Transport) Send(ctx context.Context, p *transport.Part) (string, error) {
	body, err := buildSubmit(&t.cfg, p)
	if err != nil {
		return "", err
	}
	for {
		id, err := t.submit(ctx, p, body)
		var we *writeError
		if !errors.As(err, &we) || ctx.Err() != nil {
			return id, err
		}
		// Nothing reached the SMSC: that link is dead though its read loop
		// may not know yet. Another bind, or the rebind, takes the part.
	}
}

// submit sends one submit_sm on a bind with room.
func (t *Transport) submit(ctx context.Context, p *transport.Part, body []byte) (string, error) {
	s, err := t.acquire(ctx)
	if err != nil {
		return "", transport.Temporary("", fmt.Errorf("smpp: waiting for a bind: %w", err))
	}
	defer t.release(s)
	if s.limit != nil {
		if err := s.limit.Wait(ctx); err != nil {
			return "", transport.Temporary("", fmt.Errorf("smpp: waiting for the bind's share of the rate: %w", err))
		}
	}
	sent := time.Now()
	resp, err := t.submitAwait(ctx, s, p, body)
	if err != nil {
		var we *writeError
		if errors.As(err, &we) {
			t.removeSession(s)
			return "", transport.Temporary("", err)
		}
		return "", &transport.Error{Temporary: true, InDoubt: true, Err: fmt.Errorf("smpp: submit_sm: %w", err)}
	}
	t.pace(s, resp, sent)
	return t.submitResult(s, p, resp)
}

// pace pauses a bind whose SMSC throttles (or whose queue is full) and
// eases the pause as submits are accepted again.
func (t *Transport) pace(s *session, resp pdu.PDU, sent time.Time) {
	switch {
	case resp.Status == pdu.StatusThrottled || resp.Status == pdu.StatusMsgQFul:
		if d := s.thr.hit(sent, time.Now()); d > 0 {
			s.log.Warn("smpp: SMSC is throttling; pausing submits on this bind",
				"command_status", pdu.StatusString(resp.Status), "pause", d)
		}
	case resp.ID == pdu.SubmitSMResp && resp.Status == pdu.StatusOK:
		s.thr.ok()
	}
}

func (t *Transport) submitResult(s *session, p *transport.Part, resp pdu.PDU) (string, error) {
	switch {
	case resp.ID == pdu.GenericNack:
		st := pdu.StatusString(resp.Status)
		return "", transport.Temporary(st, fmt.Errorf("smpp: submit_sm answered by generic_nack %s", st))
	case resp.ID != pdu.SubmitSMResp:
		return "", &transport.Error{Temporary: true, InDoubt: true,
			Err: fmt.Errorf("smpp: submit_sm answered by command 0x%08X", resp.ID)}
	case resp.Status != pdu.StatusOK:
		return "", statusError(resp.Status)
	}
	id, err := pdu.DecodeCString(resp.Body)
	if err == nil && id == "" {
		err = errors.New("empty message_id")
	}
	if err != nil {
		return "", &transport.Error{Temporary: true, InDoubt: true, Err: fmt.Errorf("smpp: submit_sm_resp: %w", err)}
	}
	t.ids.issued(id)
	s.worked.Store(true)
	s.log.Debug("smpp: submitted", "msg_id", p.Key, "smsc_id", id, "to", p.To)
	return id, nil
}

// acquire returns a bound session with a window slot taken for the caller,
// skipping sessions paused by throttling.
func (t *Transport) acquire(ctx context.Context) (*session, error) {
	for {
		s, wake := t.tryAcquire(time.Now())
		if s != nil {
			return s, nil
		}
		t.mu.Lock()
		ch := t.changed
		t.waiters++
		t.mu.Unlock()
		err := waitWake(ctx, ch, wake)
		t.mu.Lock()
		t.waiters--
		t.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
}

// tryAcquire takes a slot on the next session, round robin, that is not
// paused. Failing that, wake is when the first pause ends (zero if none).
func (t *Transport) tryAcquire(now time.Time) (s *session, wake time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(t.sessions)
	for i := range n {
		s := t.sessions[(t.next+i)%n]
		if s.suspect.Load() {
			continue
		}
		if until := s.thr.pausedUntil(); until.After(now) {
			if wake.IsZero() || until.Before(wake) {
				wake = until
			}
			continue
		}
		select {
		case s.slots <- struct{}{}:
			t.next = (t.next + i + 1) % n
			return s, time.Time{}
		default:
		}
	}
	return nil, wake
}

// waitWake waits for ch to close, for the time wake (if set) or for ctx.
func waitWake(ctx context.Context, ch <-chan struct{}, wake time.Time) error {
	var timeout <-chan time.Time
	if !wake.IsZero() {
		timer := time.NewTimer(time.Until(wake))
		defer timer.Stop()
		timeout = timer.C
	}
	select {
	case <-ch:
	case <-timeout:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

func (t *Transport) release(s *session) {
	<-s.slots
	t.mu.Lock()
	if t.waiters > 0 {
		t.notifyLocked()
	}
	t.mu.Unlock()
}

// notify wakes every Send waiting for a session or a slot.
func (t *Transport) notify() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.notifyLocked()
}

// notifyLocked wakes every Send waiting for a session or a slot.
func (t *Transport) notifyLocked() {
	close(t.changed)
	t.changed = make(chan struct{})
}

func (t *Transport) addSession(s *session) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sessions = append(t.sessions, s)
	t.notifyLocked()
}

func (t *Transport) removeSession(s *session) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, x := range t.sessions {
		if x == s {
			t.sessions = append(t.sessions[:i], t.sessions[i+1:]...)
			break
		}
	}
}

// Status reports the binds for the API and metrics: how many are wanted,
// how many can submit now, and each one's kind and submits in flight.
func (t *Transport) Status() transport.Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	binds := make([]transport.BindStatus, 0, len(t.sessions))
	for _, s := range t.sessions {
		binds = append(binds, transport.BindStatus{
			Kind: s.kind.String(), InFlight: len(s.slots), Window: cap(s.slots), Suspect: s.suspect.Load(),
		})
	}
	return transport.Status{SMPPStatus: &transport.SMPPStatus{Address: t.cfg.Address, BindsWanted: t.cfg.Binds, Bound: binds}}
}
