package modem

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warthog618/modem/at"
	"github.com/warthog618/sms/encoding/tpdu"
)

// events is what a session hands on from the modem.
type events interface {
	statusReport(t *tpdu.TPDU, rel release)
	deliver(t *tpdu.TPDU, rel release)
}

// fatalError is a start-up failure that retrying cannot mend and that must
// not be retried: a SIM that refused its PIN locks itself after three tries.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

// session is one opened port with its AT driver. After the link is lost
// (EOF, serial error) the driver is closed for good: a new session follows.
type session struct {
	a   *at.AT
	cfg *Config
	log *slog.Logger
	ev  events
	ack atomic.Bool // +CSMS=1 took: every +CMT and +CDS must be acknowledged
	// listening is set once this session routed new messages to itself;
	// indications before are stale.
	listening atomic.Bool
	// stored serialises reading and deleting stored messages: a +CMTI
	// handler and the start-up listing must not both read one message
	// before either deletes it, or it would be handed on twice.
	stored sync.Mutex
	in     *inbox

	sim    string // IMSI, or "" when the modem does not tell
	number string // the SIM's own number, when known
}

func newSession(rw io.ReadWriter, cfg *Config, log *slog.Logger, ev events, in *inbox) (*session, error) {
	s := &session{a: at.New(rw, at.WithTimeout(cfg.CommandTimeout)), cfg: cfg, log: log, ev: ev, in: in}
	// Added after New so the handlers never see s half made.
	for _, ind := range []struct {
		prefix string
		fn     at.InfoHandler
		opts   []at.IndicationOption
	}{
		{"+CMT:", s.onCMT, []at.IndicationOption{at.WithTrailingLine}},
		{"+CDS:", s.onCDS, []at.IndicationOption{at.WithTrailingLine}},
		{"+CMTI:", s.onCMTI, nil},
	} {
		if err := s.a.AddIndication(ind.prefix, ind.fn, ind.opts...); err != nil {
			return nil, fmt.Errorf("indication %s: %w", ind.prefix, err)
		}
	}
	return s, nil
}

func (s *session) closed() <-chan struct{} { return s.a.Closed() }

// resetTimeout bounds the start-up commands (ATZ, ATE0, AT+CMEE).
const resetTimeout = 5 * time.Second

// init brings a modem that may just have been plugged in (echo on, settings
// lost, PIN asked) into PDU mode with status reports and notifications.
func (s *session) init(ctx context.Context, pin string) error {
	// A modem answers ATZ within a second or two; a port that does not
	// (the wrong device, a modem still booting) is retried by the reopen
	// loop rather than waited on for a full command timeout.
	reset := at.WithTimeout(min(s.cfg.CommandTimeout, resetTimeout))
	if err := s.a.Init(at.WithCmds("Z", "E0", "+CMEE=1"), reset); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	if err := s.unlock(ctx, pin); err != nil {
		return err
	}
	if _, err := s.a.Command("+CMGF=0"); err != nil {
		return fmt.Errorf("PDU mode (+CMGF=0): %w", err)
	}
	if _, err := s.a.Command("+CSMS=1"); err != nil {
		s.log.Info("modem has no phase 2+ SMS service; incoming messages are not acknowledged", "err", err)
	} else {
		s.ack.Store(true)
	}
	if err := s.indicate(); err != nil {
		return err
	}
	s.listening.Store(true)
	if info, err := s.a.Command("+CIMI"); err == nil {
		s.sim = imsi(info)
	}
	if info, err := s.a.Command("+CNUM"); err == nil {
		s.number = parseCNUM(info)
	}
	return ctx.Err()
}

// The +CNMI routing asked for: new messages (<mt>=2) and status reports
// (<ds>=1) straight to us as +CMT and +CDS, to be acknowledged.
const (
	cnmiMT = 2
	cnmiDS = 1
)

// indicate (re)asserts the routing of new messages and reports to us.
func (s *session) indicate() error {
	if _, err := s.a.Command(fmt.Sprintf("+CNMI=1,%d,0,%d,0", cnmiMT, cnmiDS)); err != nil {
		return fmt.Errorf("notifications (+CNMI): %w", err)
	}
	return nil
}

func imsi(info []string) string {
	for _, l := range info {
		l = strings.TrimSpace(l)
		if len(l) >= 6 && strings.Trim(l, "0123456789") == "" {
			return l
		}
	}
	return ""
}

// unlock answers the SIM's PIN request. It sends the PIN at most once:
// a wrong PIN sent again and again would lock the SIM.
func (s *session) unlock(ctx context.Context, pin string) error {
	state, err := s.pinState()
	if err != nil {
		return err
	}
	switch state {
	case "READY":
		return nil
	case "SIM PIN":
	default:
		return &fatalError{fmt.Errorf("the SIM asks for %q; unlock it by hand", state)}
	}
	if pin == "" {
		return &fatalError{errors.New("the SIM asks for its PIN and none is configured (pin)")}
	}
	if _, err := s.a.Command(`+CPIN="` + pin + `"`); err != nil {
		return &fatalError{fmt.Errorf("the SIM refused the configured PIN (%w); not trying again", err)}
	}
	s.log.Info("SIM unlocked with its PIN")
	// The SIM takes a moment to start after its PIN.
	for range 20 {
		if state, err = s.pinState(); err == nil && state == "READY" {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return fmt.Errorf("SIM not ready after its PIN: %q %v", state, err)
}

func (s *session) pinState() (string, error) {
	info, err := s.a.Command("+CPIN?")
	if err != nil {
		return "", fmt.Errorf("SIM state (+CPIN?): %w", err)
	}
	return parseCPIN(info)
}

// send submits one PDU and returns the message reference.
func (s *session) send(hexPDU string, n int) (int, error) {
	info, err := s.a.SMSCommand(fmt.Sprintf("+CMGS=%d", n), hexPDU, at.WithTimeout(s.cfg.SendTimeout))
	if err != nil {
		return 0, err
	}
	mr, err := parseCMGS(info)
	if err != nil {
		// The modem said OK: the network has it, we only cannot match its
		// report. Not an error worth resending for.
		s.log.Warn("sent, but the answer has no reference", "err", err)
		return -1, nil
	}
	return mr, nil
}

// signal reads registration and signal strength.
func (s *session) signal() (reg string, rssi int, err error) {
	info, err := s.a.Command("+CREG?")
	if err != nil {
		return "", 0, fmt.Errorf("+CREG?: %w", err)
	}
	if reg, err = parseCREG(info); err != nil {
		return "", 0, err
	}
	if info, err = s.a.Command("+CSQ"); err != nil {
		return reg, 0, fmt.Errorf("+CSQ: %w", err)
	}
	rssi, err = parseCSQ(info)
	return reg, rssi, err
}
