// Package simulator is an in-process transport: it "sends" SMS by logging
// them and reports a delivery receipt after a short delay. It is the
// embedded default's transport (what a user sees in the five-minute tour)
// and a stand-in for a network in tests.
package simulator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/smsbridge/smsbridge/transport"
)

// Defaults for zero Config fields.
const (
	DefaultName     = "simulator"
	DefaultDelay    = 200 * time.Millisecond
	DefaultKeepSent = 1000
	// maxPending bounds the receipts waiting to be emitted, e.g. while Run
	// is not running; beyond it receipts are dropped, as a network may.
	maxPending = 1 << 16
)

// Config describes a simulator.
type Config struct {
	Name  string
	Delay time.Duration // from Send to the receipt; 0 means DefaultDelay
	// FailPrefixes are E.164 prefixes ("+1555") whose numbers get an
	// UNDELIV receipt; a prefix without '+' gets one.
	FailPrefixes []string
	// KeepSent is how many of the latest parts Sent remembers; 0 means
	// DefaultKeepSent. Bounded so a long-running default stays small.
	KeepSent int
	// LogText puts each SMS's text in the log ([sms] log_text); otherwise
	// only its length is logged.
	LogText bool
	Logger  *slog.Logger
}

// Simulator implements transport.Transport in memory.
type Simulator struct {
	name     string
	delay    time.Duration
	fail     []string
	keepSent int
	logText  bool
	log      *slog.Logger
	idPrefix string // random per instance: ids stay unique across restarts
	seq      atomic.Uint64
	kick     chan struct{}

	mu      sync.Mutex
	pending receiptQueue
	sent    []transport.Part // ring of the latest keepSent parts
	next    int              // where the ring writes next once full
	running bool
}

var _ transport.Transport = (*Simulator)(nil)

// New returns a simulator for cfg, defaults filled in.
func New(cfg Config) *Simulator {
	s := &Simulator{
		name:     cfg.Name,
		delay:    cfg.Delay,
		keepSent: cfg.KeepSent,
		logText:  cfg.LogText,
		log:      cfg.Logger,
		idPrefix: randomPrefix(),
		kick:     make(chan struct{}, 1),
	}
	if s.name == "" {
		s.name = DefaultName
	}
	if s.delay <= 0 {
		s.delay = DefaultDelay
	}
	if s.keepSent <= 0 {
		s.keepSent = DefaultKeepSent
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	for _, p := range cfg.FailPrefixes {
		if p != "" {
			s.fail = append(s.fail, "+"+strings.TrimPrefix(p, "+"))
		}
	}
	return s
}

func randomPrefix() string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return "sim-" + hex.EncodeToString(b[:])
}

// Name returns the transport's configured name.
func (s *Simulator) Name() string { return s.name }

// Send accepts p at once and, when p asks for one, schedules its receipt.
func (s *Simulator) Send(ctx context.Context, p *transport.Part) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", transport.Temporary("", fmt.Errorf("simulator: %w", err))
	}
	if p == nil {
		return "", transport.Permanent("", errors.New("simulator: nil part"))
	}
	if !isE164(p.To) {
		return "", transport.Permanent("invalid destination", fmt.Errorf("simulator: %q is not an E.164 number", p.To))
	}
	id := fmt.Sprintf("%s-%d", s.idPrefix, s.seq.Add(1))
	attrs := []any{"transport", s.name, "to", p.To, "seq", p.Seq, "total", p.Total,
		"encoding", p.Encoding.String(), "id", id, "key", p.Key}
	if s.logText {
		attrs = append(attrs, "text", p.Text)
	} else {
		attrs = append(attrs, "chars", utf8.RuneCountInString(p.Text))
	}
	s.log.Info("sms sent", attrs...)
	now := time.Now()
	s.mu.Lock()
	s.remember(p)
	queued := p.Receipt && s.schedule(now, id, p)
	s.mu.Unlock()
	if queued {
		select {
		case s.kick <- struct{}{}:
		default: // a kick is already waiting
		}
	}
	return id, nil
}

// schedule queues p's receipt; s.mu is held.
func (s *Simulator) schedule(now time.Time, id string, p *transport.Part) bool {
	if s.pending.Len() >= maxPending {
		s.log.Warn("sms receipt dropped: too many pending", "transport", s.name, "id", id)
		return false
	}
	due := now.Add(s.delay)
	state, code := transport.StateDelivered, "000"
	switch {
	case s.failing(p.To):
		state, code = transport.StateUndeliverable, "001"
	case !p.Expires.IsZero() && p.Expires.Before(due):
		state, code = transport.StateExpired, "000"
	}
	s.pending.push(pending{due: due, receipt: transport.Receipt{
		Transport: s.name, MessageID: id, State: state, ErrorCode: code,
	}})
	return true
}

func (s *Simulator) failing(to string) bool {
	for _, p := range s.fail {
		if strings.HasPrefix(to, p) {
			return true
		}
	}
	return false
}

// remember keeps a copy of p in the ring; s.mu is held.
func (s *Simulator) remember(p *transport.Part) {
	c := *p
	c.Payload = append([]byte(nil), p.Payload...)
	if len(s.sent) < s.keepSent {
		s.sent = append(s.sent, c)
		return
	}
	s.sent[s.next] = c
	s.next = (s.next + 1) % s.keepSent
}

// Sent returns copies of the latest parts sent, oldest first.
func (s *Simulator) Sent() []transport.Part {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]transport.Part, 0, len(s.sent))
	out = append(out, s.sent[s.next:]...)
	out = append(out, s.sent[:s.next]...)
	for i := range out {
		out[i].Payload = append([]byte(nil), out[i].Payload...)
	}
	return out
}

// isE164 accepts '+' and 1 to 15 digits, the first not 0.
func isE164(n string) bool {
	digits, ok := strings.CutPrefix(n, "+")
	if !ok || len(digits) == 0 || len(digits) > 15 || digits[0] == '0' {
		return false
	}
	return strings.Trim(digits, "0123456789") == ""
}
