// Package modemtest simulates a GSM modem on a pseudo-terminal, for tests of
// the modem transport through its real serial code path. The simulated modem
// behaves as real ones do: it echoes until ATE0, answers OK, ERROR or
// "+CMS ERROR: n", prompts with "> " for +CMGS and takes the PDU up to
// Ctrl-Z, asks for the SIM PIN, and sends unsolicited +CMT, +CMTI and +CDS
// lines between commands as +CNMI routes them: one +CMT or +CDS at a time,
// waiting for +CNMA, and when that does not come in time it turns
// indications off and stores messages on the SIM unannounced, as 3GPP TS
// 27.005 has it. It can vanish (the pty is hung up, as on a USB
// unplug) and come back on a new pty behind the same path.
package modemtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/warthog618/sms"
)

// Config describes one simulated modem with its SIM.
type Config struct {
	Dir    string // where the device symlink is made (required)
	Name   string // the symlink's name; default "modem"
	PIN    string // SIM PIN; "" when the SIM asks none
	IMSI   string // answer to +CIMI; default "001010000000001"
	Number string // the SIM's own number for +CNUM; "" answers none
	// ReportDelay is how long after a send the status report comes;
	// default 20ms. NoReports withholds them.
	ReportDelay time.Duration
	NoReports   bool
	// ReportStatus gives TP-ST for a report to a number; nil means 0
	// (delivered).
	ReportStatus func(to string) byte
	// AckTimeout is how long the gateway has to acknowledge a +CMT or +CDS
	// with +CNMA (with +CSMS=1 every one needs it); default 5s. When it
	// passes, the modem does what 3GPP TS 27.005 says: it turns indications
	// off (+CNMI <mt> and <ds> to 0), and the message, sent again by the
	// network, and every later one are stored on the SIM unannounced.
	AckTimeout time.Duration
	// RedeliverDelay is how soon the network sends again a message the
	// gateway refused with +CNMA=2; default 200ms.
	RedeliverDelay time.Duration
	// Logf, when set, traces the lines exchanged.
	Logf func(format string, args ...any)
}

// Submit is one SMS the gateway sent through the modem, decoded.
type Submit struct {
	To        string
	Text      string // decoded user data of this segment
	DCS       byte
	MR        byte // the reference the modem answered with (+CMGS: MR)
	SRR       bool // a status report was requested
	ConcatRef int  // 0 when not concatenated
	Seq       int
	Total     int
}

// Modem is a running simulated modem.
type Modem struct {
	cfg  Config
	path string

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every change
	line     *line         // nil while unplugged
	sent     []Submit
	mr       byte           // last TP-MR handed out; kept on the SIM across replugs
	storage  map[int]string // SIM message storage: index → PDU hex
	queued   []urc          // unsolicited lines waiting for a notifying link
	sends    int            // +CMGS PDUs received, counting failed ones
	failAt   map[int]string // send number → error line instead of success
	vanishAt map[int]bool   // send number → hang up instead of answering
	awaiting *awaitedAck    // the +CMT or +CDS sent and not yet acknowledged
	acks     int
	nacks    int // +CNMA=2: the gateway refused a message for now
	timeouts int // acknowledgements that never came in time
	pinAsks  int // +CPIN="…" received, over all plugs
	resets   int // ATZ received, over all plugs
	plugs    int
	enc      *sms.Encoder
	closed   bool
}

// Start plugs a new simulated modem in: a pty with a symlink at Path.
func Start(cfg Config) (*Modem, error) {
	if cfg.Dir == "" {
		return nil, errors.New("modemtest: Config.Dir is required")
	}
	if cfg.Name == "" {
		cfg.Name = "modem"
	}
	if cfg.IMSI == "" {
		cfg.IMSI = "001010000000001"
	}
	if cfg.ReportDelay <= 0 {
		cfg.ReportDelay = 20 * time.Millisecond
	}
	if cfg.AckTimeout <= 0 {
		cfg.AckTimeout = 5 * time.Second
	}
	if cfg.RedeliverDelay <= 0 {
		cfg.RedeliverDelay = 200 * time.Millisecond
	}
	m := &Modem{
		cfg: cfg, path: filepath.Join(cfg.Dir, cfg.Name), changed: make(chan struct{}),
		storage: map[int]string{}, failAt: map[int]string{}, vanishAt: map[int]bool{},
		enc: sms.NewEncoder(sms.AsDeliver),
	}
	if err := m.Replug(); err != nil {
		return nil, err
	}
	return m, nil
}

// Path is the device path the gateway opens; it stays the same across
// replugs.
func (m *Modem) Path() string { return m.path }

// Close unplugs the modem for good and removes its symlink.
func (m *Modem) Close() {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.Unplug()
	os.Remove(m.path)
}

// Unplug hangs the pty up: the gateway's reads and writes fail at once.
func (m *Modem) Unplug() {
	m.mu.Lock()
	l := m.line
	m.line = nil
	m.notifyLocked()
	m.mu.Unlock()
	if l != nil {
		l.p.close()
		<-l.done
	}
}

// Replug connects the modem on a fresh pty (settings reset, echo on, PIN
// asked again) and points the symlink at it.
func (m *Modem) Replug() error {
	m.Unplug()
	p, err := openPTY()
	if err != nil {
		return err
	}
	tmp := m.path + ".new"
	os.Remove(tmp)
	if err := os.Symlink(p.name, tmp); err != nil {
		p.close()
		return fmt.Errorf("modemtest: symlink: %w", err)
	}
	if err := os.Rename(tmp, m.path); err != nil {
		p.close()
		return fmt.Errorf("modemtest: symlink: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		p.close()
		return errors.New("modemtest: closed")
	}
	l := newLine(m, p)
	m.line = l
	m.plugs++
	m.notifyLocked()
	go l.run()
	return nil
}

// FailSend makes the nth send (counting from 1 over the modem's life)
// answer with the given final line, such as "+CMS ERROR: 38".
func (m *Modem) FailSend(n int, final string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failAt[n] = final
}

// IgnoreSend makes the nth send go unanswered: the PDU is taken and
// nothing comes back, as when the network never confirms.
func (m *Modem) IgnoreSend(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failAt[n] = silent
}

// VanishOnSend makes the modem hang up when the nth send's PDU arrives,
// before it answers: the gateway cannot know whether it went out (it did
// not).
func (m *Modem) VanishOnSend(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.vanishAt[n] = true
}

// Sent returns the SMS sent so far.
func (m *Modem) Sent() []Submit {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Submit(nil), m.sent...)
}

// Stats are counters for tests.
type Stats struct {
	Sends   int // +CMGS PDUs received, failed ones included
	Acks    int // +CNMA received
	Nacks   int // +CNMA=2 received: a message refused for now
	Unacked int // unsolicited messages not acknowledged (yet)
	// AckTimeouts counts acknowledgements that did not come in time, each
	// of which turned indications off.
	AckTimeouts int
	PINAsks     int // +CPIN="…" received
	Plugs       int
	Resets      int // ATZ received: the gateway (re)initialised the modem
	Stored      int // messages in SIM storage
	// MT and DS are +CNMI's <mt> and <ds> on the line now: 2 and 1 while
	// messages and reports are indicated, 0 after an acknowledgement
	// timed out.
	MT, DS int
}

func (m *Modem) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.StatsLocked()
}

// Wait blocks until cond, called under the modem's lock after each change,
// holds, or ctx ends.
func (m *Modem) Wait(ctx context.Context, cond func(m *Modem) bool) error {
	for {
		m.mu.Lock()
		ok := cond(m)
		ch := m.changed
		m.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// SentLocked is Sent for use inside a Wait condition.
func (m *Modem) SentLocked() []Submit { return m.sent }

// StatsLocked is Stats for use inside a Wait condition.
func (m *Modem) StatsLocked() Stats {
	unacked := 0
	if m.awaiting != nil {
		unacked = 1
	}
	st := Stats{Sends: m.sends, Acks: m.acks, Nacks: m.nacks, Unacked: unacked, AckTimeouts: m.timeouts,
		PINAsks: m.pinAsks, Plugs: m.plugs, Resets: m.resets, Stored: len(m.storage)}
	if m.line != nil {
		st.MT, st.DS = m.line.mt, m.line.ds
	}
	return st
}

func (m *Modem) notifyLocked() {
	close(m.changed)
	m.changed = make(chan struct{})
}

func (m *Modem) logf(format string, args ...any) {
	if m.cfg.Logf != nil {
		m.cfg.Logf("modem %s: "+format, append([]any{m.cfg.Name}, args...)...)
	}
}
