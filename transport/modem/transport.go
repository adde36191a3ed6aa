package modem

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smsbridge/smsbridge/transport"
)

// Status is one modem as last seen, for logs and metrics.
type Status = transport.ModemStatus

// Transport is a modem transport: one or more modems used as one.
type Transport struct {
	cfg    Config
	log    *slog.Logger
	modems []*modem

	idBase uint64
	idSeq  atomic.Uint64

	mu   sync.Mutex
	pins map[string]*pin
	h    transport.Handler
}

// pin keeps the parts of one concatenated message on one modem.
type pin struct {
	m     *modem
	until time.Time
	left  int
}

// New makes a transport; Run opens its modems.
func New(cfg Config) (*Transport, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	t := &Transport{cfg: cfg, log: cfg.Logger, pins: map[string]*pin{}, h: discard{}}
	// Ids must not repeat after a restart while old ones wait for reports.
	t.idBase = uint64(time.Now().UnixMicro())
	for _, d := range cfg.Devices {
		t.modems = append(t.modems, newModem(t, d))
	}
	return t, nil
}

func (t *Transport) Name() string { return t.cfg.Name }

func (t *Transport) nextID() string {
	return strconv.FormatUint(t.idBase+t.idSeq.Add(1), 36)
}

// Run keeps every modem open until ctx is done. It returns early only when
// no modem can ever be used (every SIM refused its PIN, say).
func (t *Transport) Run(ctx context.Context, h transport.Handler) error {
	t.mu.Lock()
	t.h = h
	t.mu.Unlock()
	errs := make([]error, len(t.modems))
	var wg sync.WaitGroup
	for i, m := range t.modems {
		wg.Go(func() { errs[i] = m.run(ctx) })
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return errors.Join(errs...)
}

func (t *Transport) handler() transport.Handler {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.h
}

// Up reports whether some modem is open and its SIM within its limits, so
// the dispatcher tries the next transport of a route otherwise.
func (t *Transport) Up() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.cfg.Now()
	for _, m := range t.modems {
		if m.sess != nil && m.use.room(now, 1) {
			return true
		}
	}
	return false
}

// Modems returns every modem's state.
func (t *Transport) Modems() []Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.cfg.Now()
	out := make([]Status, len(t.modems))
	for i, m := range t.modems {
		m.use.roll(now)
		out[i] = m.status
		out[i].SentToday, out[i].SentMonth = m.use.dayN, m.use.monthN
		m.in.counts(&out[i])
	}
	return out
}

// Send puts a part through the least recently used modem that is up and
// within its limits; the parts of a concatenated message all go through the
// same one.
func (t *Transport) Send(ctx context.Context, p *transport.Part) (string, error) {
	m, err := t.pick(p)
	if err != nil {
		return "", transport.Temporary("", err)
	}
	id, err := m.send(ctx, p)
	t.done(m, p, err == nil)
	return id, err
}

func groupKey(p *transport.Part) string {
	if !p.Concatenated() {
		return ""
	}
	if i := strings.LastIndexByte(p.Key, '/'); i > 0 {
		return p.Key[:i] + "|" + strconv.Itoa(int(p.Ref))
	}
	return p.To + "|" + strconv.Itoa(int(p.Ref)) + "|" + strconv.Itoa(p.Total)
}

// pick reserves a modem for p.
func (t *Transport) pick(p *transport.Part) (*modem, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.cfg.Now()
	g := groupKey(p)
	for k, pn := range t.pins {
		if now.After(pn.until) {
			delete(t.pins, k)
		}
	}
	// Without a pin or an After id no part of the message has gone out
	// through this transport: a SIM must have room for all of it.
	need := 1
	if p.Concatenated() {
		need = max(p.Total, 1)
	}
	if pn, ok := t.pins[g]; ok && g != "" {
		if err := t.canFollow(pn.m, now); err != nil {
			if transport.CannotFollow(err) {
				delete(t.pins, g)
			}
			return nil, err
		}
		return t.reserve(pn.m, now), nil
	}
	if p.After != "" {
		// Another part went out through the SIM in After (before a restart,
		// or longer ago than PinFor): this one must follow it.
		m, err := t.follow(p.After, now)
		if err != nil {
			return nil, err
		}
		if g != "" {
			t.pins[g] = &pin{m: m, until: now.Add(t.cfg.PinFor), left: need}
		}
		return t.reserve(m, now), nil
	}
	var best *modem
	anyUp := false
	for _, m := range t.modems {
		if m.sess == nil {
			continue
		}
		anyUp = true
		if m.use.room(now, need+t.promised(m)) && (best == nil || m.use.reserved < best.use.reserved ||
			(m.use.reserved == best.use.reserved && m.lastPick.Before(best.lastPick))) {
			best = m
		}
	}
	switch {
	case best == nil && anyUp && need > 1:
		// Some SIM may send a part, none the whole rest of the message: it
		// must go another way as a whole, not split over SIMs.
		return nil, fmt.Errorf("%w for the %d parts of this message left: %w", errExhausted, need, transport.ErrCannotFollow)
	case best == nil && anyUp:
		return nil, errExhausted
	case best == nil:
		return nil, errDown
	}
	if g != "" {
		t.pins[g] = &pin{m: best, until: now.Add(t.cfg.PinFor), left: need}
	}
	return t.reserve(best, now), nil
}

func (t *Transport) reserve(m *modem, now time.Time) *modem {
	m.use.reserved++
	m.lastPick = now
	return m
}

func (t *Transport) done(m *modem, p *transport.Part, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m.use.reserved--
	g := groupKey(p)
	if pn, found := t.pins[g]; ok && found && pn.m == m {
		if pn.left--; pn.left <= 0 {
			delete(t.pins, g)
		}
	}
}

type discard struct{}

func (discard) HandleReceipt(_ transport.Receipt, done func(error)) { done(nil) }
func (discard) HandleInbound(_ transport.Inbound, done func(error)) { done(nil) }

// Status reports the modems and the SIM limits for the API and metrics.
func (t *Transport) Status() transport.Status {
	return transport.Status{ModemsStatus: &transport.ModemsStatus{
		Modems: t.Modems(), DailyLimit: t.cfg.DailyLimit, MonthlyLimit: t.cfg.MonthlyLimit,
	}}
}
