// Package bridge is the heart of smsbridge: it turns accepted mail into
// queued SMS parts, dispatches them through transports, follows each part
// through its states and sends delivery reports back as mail.
package bridge

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smsbridge/smsbridge/bridge/mailtext"
	"github.com/smsbridge/smsbridge/carriers"
	"github.com/smsbridge/smsbridge/mailout"
	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/transport"
)

// Policy decides what an SMTP user may send: which recipients, how many SMS
// parts a day for the user and for the envelope sender. Its refusals name
// the rule; the bridge returns them as they are.
type Policy interface {
	AllowRecipient(user, alias string, numbers []string) error
	ChargeParts(ctx context.Context, user, sender string, parts int) error
	RefundParts(user, sender string, parts int)
}

// openPolicy allows everything: the policy when none is given (tests).
type openPolicy struct{}

func (openPolicy) AllowRecipient(string, string, []string) error          { return nil }
func (openPolicy) ChargeParts(context.Context, string, string, int) error { return nil }
func (openPolicy) RefundParts(string, string, int)                        {}

// Mailer delivers the mail the bridge writes (delivery reports).
type Mailer interface {
	Deliver(ctx context.Context, m *mailout.Mail) error
}

// Lane is one transport as the dispatcher drives it.
type Lane struct {
	Transport transport.Transport
	Rate      float64 // submits per second; 0 = no limit
	Slots     int     // submits in flight at most (window × binds)
	// InDoubtLimit is how long the transport waits for the answer to a
	// submit in doubt (smpp's in_doubt_limit): a Send may take that much
	// longer.
	InDoubtLimit time.Duration
	// MaxInDoubtResends is how often a part is sent again after sends in
	// doubt (no answer before the link was lost or the in-doubt limit
	// passed, or a crash mid-send); 0 never: it fails, its report saying
	// the phone may have it.
	MaxInDoubtResends int
}

// Config is what the bridge does, derived from the configuration file.
type Config struct {
	Hostname             string
	Domains              []string
	AcceptCarrierDomains bool
	Aliases              map[string][]string // lower-case local part → E.164 numbers
	Numbers              carriers.NumberPolicy
	Routes               carriers.Routes
	Text                 mailtext.Options
	SMS                  sms.Options
	Validity             time.Duration
	ReceiptMode          string        // all | failure | none
	ReportFrom           string        // From of reports
	DelayAfter           time.Duration // one "delayed" report after this long; 0 = never
	Retention            time.Duration // finished messages are purged this long after arrival; 0 = 7 days

	// Two-way: where SMS from phones go, and the keyword answers.
	InboundDefaultTo string        // when no conversation matches
	ConversationTTL  time.Duration // how long a mail to a number routes its replies
	Keywords         Keywords

	// RetryFloor and RetryCeiling bound the retry backoff of SMS; zero means
	// the defaults (2s, 10m). MailRetryFloor is the first retry delay of the
	// gateway's own mail (default 30s).
	RetryFloor, RetryCeiling time.Duration
	MailRetryFloor           time.Duration

	Priority  Priority  // classes: overrides and shares
	Campaigns Campaigns // which bulk messages are paced campaigns
}

// Gateway accepts mail for SMS and sees every part to a final state.
type Gateway struct {
	cfg    atomic.Pointer[Config] // swapped whole by Reload; read with conf()
	st     Store
	mailer Mailer
	log    *slog.Logger
	now    func() time.Time
	obs    Observer
	pol    Policy

	handoff Handoff // nil: every SMS from a phone is mailed

	lanes    map[string]*lane
	order    []string // lane names in configuration order
	dispatch *dispatcher
	receipts *receiptMatcher
	reports  *reporter
	outbox   *outbox
	refs     refCounter
}

// Options holds the gateway's collaborators.
type Options struct {
	Store    Store
	Lanes    []Lane
	Mailer   Mailer
	Logger   *slog.Logger
	Now      func() time.Time // the clock; time.Now when nil
	Observer Observer         // metrics; none when nil
	Policy   Policy           // sender limits; everything allowed when nil
	Handoff  Handoff          // SMS from phones integrations take; none when nil
}

// Handoff takes the SMS from phones that an integration serves (an ESME's
// numbers) instead of their being mailed. TakeInbound reports whether in is
// the integration's; with true and a nil error it is stored. An error means it
// was not kept: the network is to send it again.
type Handoff interface {
	TakeInbound(ctx context.Context, from string, in transport.Inbound) (bool, error)
}

// New builds a gateway. Nothing runs until Run.
func New(cfg Config, opt Options) (*Gateway, error) {
	if opt.Store == nil || opt.Mailer == nil {
		return nil, fmt.Errorf("bridge: a store and a mailer are required")
	}
	if len(opt.Lanes) == 0 {
		return nil, fmt.Errorf("bridge: no transports")
	}
	g := &Gateway{st: opt.Store, mailer: opt.Mailer, log: opt.Logger, now: opt.Now, obs: opt.Observer, lanes: map[string]*lane{}}
	if g.obs == nil {
		g.obs = nopObserver{}
	}
	g.pol = opt.Policy
	g.handoff = opt.Handoff
	if g.pol == nil {
		g.pol = openPolicy{}
	}
	if g.log == nil {
		g.log = slog.Default()
	}
	if g.now == nil {
		g.now = time.Now
	}
	for _, l := range opt.Lanes {
		name := l.Transport.Name()
		if _, dup := g.lanes[name]; dup {
			return nil, fmt.Errorf("bridge: transport %q given twice", name)
		}
		g.lanes[name] = newLane(l)
		g.order = append(g.order, name)
	}
	if err := g.Reload(cfg); err != nil {
		return nil, err
	}
	g.refs.seed()
	g.receipts = newReceiptMatcher(g)
	g.reports = newReporter(g)
	g.outbox = newOutbox(g)
	g.dispatch = newDispatcher(g)
	return g, nil
}

// conf is the configuration in force; a Reload swaps it between two calls,
// so a flow that needs one consistent view reads it once.
func (g *Gateway) conf() *Config { return g.cfg.Load() }

// Reload puts cfg in force for what follows: recipients, aliases, routes,
// conversion, reports. Its routes may only name the transports the gateway
// was built with; transports themselves change only with a restart.
func (g *Gateway) Reload(cfg Config) error {
	for _, r := range cfg.Routes {
		for _, name := range r.Transports {
			if g.lanes[name] == nil {
				return fmt.Errorf("bridge: route %q names transport %q, which is not running (transports change only with a restart)", r.Prefix, name)
			}
		}
	}
	g.cfg.Store(&cfg)
	return nil
}

// Run starts the transports, the dispatcher, receipt matching and the
// reporter, and returns when ctx is done and in-flight submits have finished
// (or drain has passed). Parts in doubt from an earlier run are resumed first.
func (g *Gateway) Run(ctx context.Context, drain time.Duration) error {
	inDoubt, err := g.st.Recover(g.now())
	if err != nil {
		return fmt.Errorf("bridge: recover queue: %w", err)
	}
	for _, k := range inDoubt {
		g.log.Warn("part was being submitted when smsbridge stopped; sending again (the phone may get it twice)", "part", k.String())
	}

	// Transports outlive the dispatcher so in-flight submits can finish.
	tctx, stopTransports := context.WithCancel(context.WithoutCancel(ctx))
	defer stopTransports()
	var tw sync.WaitGroup
	for _, name := range g.order {
		t := g.lanes[name].t
		tw.Add(1)
		go func() {
			defer tw.Done()
			if err := t.Run(tctx, g.receipts); err != nil && tctx.Err() == nil {
				g.log.Error("transport stopped", "transport", t.Name(), "err", err)
			}
		}()
	}

	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); g.receipts.run(tctx) }()
	go func() { defer wg.Done(); g.reports.run(tctx) }()
	go func() { defer wg.Done(); g.outbox.run(tctx) }()

	g.dispatch.run(ctx, drain)
	stopTransports()
	tw.Wait()
	wg.Wait()
	return nil
}

// Kick tells the dispatcher new parts may be due.
func (g *Gateway) Kick() { g.dispatch.kick() }
