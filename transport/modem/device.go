package modem

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warthog618/sms"
	"github.com/warthog618/sms/encoding/tpdu"

	"github.com/smsbridge/smsbridge/internal/backoff"
	"github.com/smsbridge/smsbridge/transport"
	"github.com/smsbridge/smsbridge/transport/link"
)

// reassembleFor is how long the parts of an incoming message may take to
// arrive; what came by then is passed on as it is.
const reassembleFor = time.Hour

// modem is one device and the SIM in it.
type modem struct {
	t   *Transport
	dev string
	log *slog.Logger

	sendMu   sync.Mutex // one +CMGS at a time; guards lastSend
	lastSend time.Time
	// sentOK is set when a send succeeds: the session worked, and its
	// loss is a fresh fault that starts the reopen backoff anew.
	sentOK atomic.Bool

	// guarded by t.mu
	sess     *session
	sim      string // what the quota is counted under
	use      usage
	lastPick time.Time
	status   Status

	collector *sms.Collector
	in        *inbox
	// partsMu guards parts and the collector's state with it: the
	// releases of earlier parts of concatenated messages, by partKey.
	partsMu sync.Mutex
	parts   map[string]release
}

func newModem(t *Transport, dev string) *modem {
	m := &modem{t: t, dev: dev, log: t.log.With("device", dev)}
	m.use.dayMax, m.use.monMax = t.cfg.DailyLimit, t.cfg.MonthlyLimit
	m.status = Status{Device: dev}
	m.collector = sms.NewCollector(sms.WithReassemblyTimeout(reassembleFor, m.incomplete))
	m.in, m.parts = newInbox(), map[string]release{}
	return m
}

// run keeps the modem open until ctx ends, reopening it with backoff. It
// returns early, with the error, only when retrying cannot help. A modem
// lost after it sent is reopened at once: the fault is a fresh one.
func (m *modem) run(ctx context.Context) error {
	defer m.collector.Close()
	loop := link.Loop{
		Backoff:      backoff.Policy{Floor: m.t.cfg.ReopenMin, Ceiling: m.t.cfg.ReopenMax},
		HealthyAfter: time.Minute,
		Fatal:        func(err error) bool { return errors.As(err, new(*fatalError)) },
		Retrying: func(err error, _ int, pause time.Duration) time.Duration {
			m.log.Warn("modem down; reopening", "err", err, "in", pause)
			return pause
		},
	}
	err := loop.Run(ctx, func(ctx context.Context) (bool, error) {
		err := m.connect(ctx)
		return m.sentOK.Swap(false), err
	})
	if err != nil {
		m.log.Error("modem not usable until smsbridge restarts", "err", err)
		return fmt.Errorf("%s: %w", m.dev, err)
	}
	return nil
}

// connect opens, initialises and serves the modem until its link is lost.
func (m *modem) connect(ctx context.Context) error {
	port, err := openPort(m.dev, m.t.cfg.Baud, m.log)
	if err != nil {
		return err
	}
	defer port.Close()
	stop := context.AfterFunc(ctx, func() { port.Close() })
	defer stop()
	s, err := newSession(port, &m.t.cfg, m.log, m, m.in)
	if err != nil {
		return err
	}
	if err := s.init(ctx, m.t.cfg.PIN); err != nil {
		return fmt.Errorf("initialising: %w", err)
	}
	sim := s.sim
	if sim == "" {
		sim = m.dev // no IMSI: count under the device
	}
	dayN, monthN, err := m.t.cfg.Quota.QuotaGet(ctx, sim, m.t.cfg.Now())
	if err != nil {
		return fmt.Errorf("reading the SIM's counts: %w", err)
	}
	m.poll(s)
	m.up(s, sim, dayN, monthN)
	defer m.down()
	if err := s.readAllStored(); err != nil {
		m.log.Warn("reading stored messages", "err", err)
	}
	return m.watch(ctx, s)
}

func (m *modem) watch(ctx context.Context, s *session) error {
	tick := time.NewTicker(m.t.cfg.PollInterval)
	defer tick.Stop()
	for {
		select {
		case <-s.closed():
			return errLost
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			m.poll(s)
			if err := m.pollInbox(s); err != nil {
				return err
			}
		}
	}
}

// pollInbox is the safety net under indications: it turns them on again
// if the modem turned them off, and reads what the SIM holds. A modem that
// will not indicate is reopened.
func (m *modem) pollInbox(s *session) error {
	if err := s.checkIndications(); err != nil {
		return fmt.Errorf("keeping indications on: %w", err)
	}
	if err := s.readAllStored(); err != nil {
		m.log.Warn("reading stored messages", "err", err)
	}
	return nil
}

// poll reads registration and signal and logs them when they change.
func (m *modem) poll(s *session) {
	reg, rssi, err := s.signal()
	if err != nil {
		m.log.Warn("reading registration and signal", "err", err)
		return
	}
	m.t.mu.Lock()
	changed := m.status.Registration != reg || m.status.RSSI != rssi
	m.status.Registration, m.status.RSSI, m.status.Polled = reg, rssi, m.t.cfg.Now()
	m.t.mu.Unlock()
	level := slog.LevelDebug
	if changed {
		level = slog.LevelInfo
	}
	dbm, known := dBm(rssi)
	m.log.Log(context.Background(), level, "modem network", "registration", reg, "rssi", rssi, "dbm", dbm, "signal_known", known)
}

func (m *modem) up(s *session, sim string, dayN, monthN int) {
	m.t.mu.Lock()
	defer m.t.mu.Unlock()
	m.sess, m.sim = s, sim
	m.use.set(m.t.cfg.Now(), dayN, monthN)
	m.status.Up, m.status.SIM, m.status.Number = true, sim, s.number
	m.log.Info("modem ready", "sim", sim, "number", s.number, "sent_today", dayN, "sent_this_month", monthN)
}

func (m *modem) down() {
	m.t.mu.Lock()
	defer m.t.mu.Unlock()
	m.sess = nil
	m.status.Up = false
}

func (m *modem) session() *session {
	m.t.mu.Lock()
	defer m.t.mu.Unlock()
	return m.sess
}

// simID is the SIM in the modem, as it was identified when the modem came up.
func (m *modem) simID() string {
	m.t.mu.Lock()
	defer m.t.mu.Unlock()
	return m.sim
}

// send puts one part through this modem, keeping send_interval between
// sends.
func (m *modem) send(ctx context.Context, p *transport.Part) (string, error) {
	m.sendMu.Lock()
	defer m.sendMu.Unlock()
	if wait := time.Until(m.lastSend.Add(m.t.cfg.SendInterval)); wait > 0 {
		select {
		case <-ctx.Done():
			return "", transport.Temporary("", ctx.Err())
		case <-time.After(wait):
		}
	}
	s := m.session()
	if s == nil {
		return "", transport.Temporary("", fmt.Errorf("%s: %w", m.dev, errLost))
	}
	h, n, err := encodeSubmit(p, m.t.cfg.Now())
	if err != nil {
		return "", transport.Permanent("", err)
	}
	mr, err := s.send(h, n)
	m.lastSend = time.Now()
	if err != nil {
		err = classify(err)
		if transport.IsInDoubt(err) {
			m.count(1) // the SIM may have paid for it
			// A +CMGS answer cannot come after its timeout: the dispatcher
			// decides whether the part is sent again (max_in_doubt_resends).
			if sh, ok := m.t.handler().(transport.SubmitHandler); ok {
				sh.SubmitInDoubt(m.t.cfg.Name, p.Key)
			}
		}
		return "", err
	}
	m.count(1)
	m.sentOK.Store(true)
	if mr < 0 {
		// No reference, so no report can name this send.
		return m.simID() + ":-:" + m.t.nextID(), nil
	}
	return reportID(m.simID(), mr, p.To), nil
}

// count adds sends to the SIM's counts in the store.
func (m *modem) count(n int) {
	m.t.mu.Lock()
	sim := m.sim
	m.t.mu.Unlock()
	now := m.t.cfg.Now()
	dayN, monthN, err := m.t.cfg.Quota.QuotaAdd(context.Background(), sim, now, n)
	m.t.mu.Lock()
	defer m.t.mu.Unlock()
	if err != nil {
		m.log.Error("counting a send for the SIM's limits", "sim", sim, "err", err)
		m.use.roll(now)
		m.use.dayN += n
		m.use.monthN += n
		return
	}
	m.use.set(now, dayN, monthN)
}

func (m *modem) statusReport(t *tpdu.TPDU, rel release) {
	state := reportState(t.ST)
	id := reportID(m.simID(), int(t.MR), t.RA.Number())
	m.t.handler().HandleReceipt(transport.Receipt{
		Transport: m.t.cfg.Name, MessageID: id, State: state,
		ErrorCode: fmt.Sprintf("%03d", t.ST), Done: t.DT.Time,
	}, func(err error) {
		if err != nil {
			m.log.Warn("status report not applied; left to the modem to be read again", "id", id, "err", err)
		}
		rel.done(err == nil)
	})
}

// partKey names one part of a concatenated message from a phone.
func partKey(t *tpdu.TPDU) string {
	n, seq, ref, _ := t.ConcatInfo()
	return fmt.Sprintf("%s|%d|%d|%d", t.OA.Number(), ref, n, seq)
}

// deliver collects one incoming part and hands on the message it
// completes. An earlier part that came indicated is acknowledged at once
// (the modem sends no more until then) and waits in memory; a stored one
// stays on the SIM until its message is kept.
func (m *modem) deliver(t *tpdu.TPDU, rel release) {
	m.partsMu.Lock()
	segs, err := m.collector.Collect(*t)
	if err != nil {
		m.partsMu.Unlock()
		// A part held already, or one that joins nothing: this copy goes;
		// but nothing is let go of by a modem that is stopping.
		m.log.Warn("incoming part not reassembled", "from", t.OA.Number(), "err", err)
		rel.done(!errors.Is(err, sms.ErrClosed))
		return
	}
	if segs == nil {
		if rel.indicated {
			m.parts[partKey(t)] = release{indicated: true}
			m.partsMu.Unlock()
			rel.done(true)
			return
		}
		m.parts[partKey(t)] = rel
		m.partsMu.Unlock()
		return
	}
	rels := make([]release, len(segs))
	_, seq, _, _ := t.ConcatInfo()
	for i, sg := range segs {
		if _, sq, _, _ := sg.ConcatInfo(); len(segs) == 1 || sq == seq {
			rels[i] = rel
			continue
		}
		rels[i] = m.takePartLocked(sg)
	}
	m.partsMu.Unlock()
	m.inbound(segs, rels)
}

func (m *modem) takePartLocked(t *tpdu.TPDU) release {
	k := partKey(t)
	rel := m.parts[k]
	delete(m.parts, k)
	return rel
}

// incomplete passes on what arrived of a message whose other parts never
// came: a partial text is better than none.
func (m *modem) incomplete(segs []*tpdu.TPDU) {
	var got []*tpdu.TPDU
	var rels []release
	m.partsMu.Lock()
	for _, s := range segs {
		if s != nil {
			got = append(got, s)
			rels = append(rels, m.takePartLocked(s))
		}
	}
	m.partsMu.Unlock()
	if len(got) > 0 {
		m.log.Warn("incoming message incomplete; passing on the parts that came", "from", got[0].OA.Number(), "parts", len(got), "of", len(segs))
		m.inbound(got, rels)
	}
}

// inbound hands a message on; rels[i] is owed for segs[i] once the handler
// is done.
func (m *modem) inbound(segs []*tpdu.TPDU, rels []release) {
	text, err := sms.Decode(segs)
	if err != nil {
		m.log.Warn("incoming message not decoded; let go", "from", segs[0].OA.Number(), "err", err)
		releaseAll(rels, true)
		return
	}
	m.t.mu.Lock()
	to := m.status.Number
	m.t.mu.Unlock()
	received := segs[0].SCTS.Time
	if received.IsZero() {
		received = m.t.cfg.Now()
	}
	in := transport.Inbound{Transport: m.t.cfg.Name, From: segs[0].OA.Number(), To: to, Text: string(text), Received: received}
	m.t.handler().HandleInbound(in, func(err error) {
		if err == nil {
			releaseAll(rels, true)
			return
		}
		m.log.Warn("incoming SMS not kept; left to the modem to be read again", "from", in.From, "err", err)
		m.giveBack(segs, rels)
	})
}

func releaseAll(rels []release, kept bool) {
	for _, r := range rels {
		if r.done != nil {
			r.done(kept)
		}
	}
}

// giveBack undoes the handing on of a message that was not kept: the
// parts the modem or the network still has are refused or left on the
// SIM, to come again; the parts acknowledged long ago wait in memory again
// for them.
func (m *modem) giveBack(segs []*tpdu.TPDU, rels []release) {
	again := false
	for _, r := range rels {
		again = again || r.done != nil
	}
	if !again {
		m.log.Error("incoming SMS lost: its parts were acknowledged as they came", "from", segs[0].OA.Number())
		return
	}
	m.partsMu.Lock()
	for i, r := range rels {
		if r.done == nil {
			if _, err := m.collector.Collect(*segs[i]); err == nil {
				m.parts[partKey(segs[i])] = release{indicated: true}
			}
		}
	}
	m.partsMu.Unlock()
	releaseAll(rels, false)
}
