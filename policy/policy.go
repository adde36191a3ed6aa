// Package policy decides who may send what to whom through smsbridge: the
// senders an authenticated user may use, the recipients a user may reach,
// abuse limits per user and per sender address (mails per minute, SMS
// parts per day, recipients per mail), and SPF, DKIM and DMARC checks of
// mail relayed by trusted hosts. *Policy implements smtpd.Policy; the
// bridge calls AllowRecipient and ChargeParts.
package policy

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/smsbridge/smsbridge/smtpd"
)

// Limits are abuse limits; 0 means no limit.
type Limits struct {
	MailsPerMinute    int
	PartsPerDay       int
	RecipientsPerMail int
}

// over returns l with each zero field taken from base.
func (l Limits) over(base Limits) Limits {
	if l.MailsPerMinute == 0 {
		l.MailsPerMinute = base.MailsPerMinute
	}
	if l.PartsPerDay == 0 {
		l.PartsPerDay = base.PartsPerDay
	}
	if l.RecipientsPerMail == 0 {
		l.RecipientsPerMail = base.RecipientsPerMail
	}
	return l
}

// User is what one SMTP AUTH user may do.
type User struct {
	// AllowedSenders are envelope senders the user may give in MAIL FROM:
	// addresses ("alerts@example.com") and domains ("@example.com"); "<>"
	// allows the null sender. Empty: any sender.
	AllowedSenders []string
	// AllowedRecipients are aliases ("oncall") and number prefixes in E.164
	// ("+1", "+4930") the user may send to. Empty: any recipient.
	AllowedRecipients []string
	// Limits override Config.Limits where not zero.
	Limits Limits
}

// Config is the policy as the configuration file gives it.
type Config struct {
	Users  map[string]User // by user name
	Limits Limits          // per user and per sender address
	// Verification of unauthenticated mail: SPF, DKIM, DMARC.
	Verification Mode
	Resolver     Resolver // nil: the system's resolver
	AuthServID   string   // names this host in Authentication-Results
	// Counters keeps daily counters across restarts; nil: memory only.
	Counters CounterStore
	Logger   *slog.Logger
	Now      func() time.Time // nil: time.Now
}

// Policy is the sender, destination and abuse policy. It is safe for
// concurrent use.
type Policy struct {
	cfg    atomic.Pointer[Config] // swapped whole by Reload; read with rules()
	log    *slog.Logger
	now    func() time.Time
	minute *rateLimits
	daily  *dayCounters
	verify *verifier
}

// New returns the policy for cfg, with daily counters loaded from
// cfg.Counters.
func New(cfg Config) (*Policy, error) {
	p := &Policy{log: cfg.Logger, now: cfg.Now}
	p.cfg.Store(&cfg)
	if p.log == nil {
		p.log = slog.Default()
	}
	if p.now == nil {
		p.now = time.Now
	}
	p.minute = newRateLimits(time.Minute)
	daily, err := loadDayCounters(cfg.Counters)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	p.daily = daily
	p.verify = newVerifier(cfg.Resolver, cfg.AuthServID)
	return p, nil
}

// rules is the configuration in force.
func (p *Policy) rules() *Config { return p.cfg.Load() }

// Reload puts new users, limits and the verification mode in force (a
// configuration reload). Counters, the resolver and the counter store stay.
func (p *Policy) Reload(users map[string]User, limits Limits, verification Mode) {
	next := *p.rules()
	next.Users, next.Limits, next.Verification = users, limits, verification
	p.cfg.Store(&next)
}

// limitsFor returns the limits of an authenticated user ("" for none).
func (p *Policy) limitsFor(user string) Limits {
	if user == "" {
		return p.rules().Limits
	}
	return p.rules().Users[user].Limits.over(p.rules().Limits)
}

// senderKey names an envelope sender in counters: lower case, "<>" for the
// null sender.
func senderKey(from string) string {
	if from == "" {
		return "<>"
	}
	return strings.ToLower(from)
}

// limited is the reply when a limit is reached: 450 4.7.1 naming it.
func limited(format string, args ...any) *smtpd.Error {
	return smtpd.Errorf(450, [3]int{4, 7, 1}, format, args...)
}

// Mail implements smtpd.Policy: allowed senders, then mails per minute.
func (p *Policy) Mail(_ context.Context, env *smtpd.Envelope) error {
	if env.User != "" {
		if u := p.rules().Users[env.User]; !senderAllowed(u.AllowedSenders, env.From) {
			return smtpd.Errorf(553, [3]int{5, 7, 1}, "Sender <%s> not allowed for user %s", env.From, env.User)
		}
	}
	now := p.now()
	if n := p.limitsFor(env.User).MailsPerMinute; n > 0 && env.User != "" {
		if !p.minute.allow("user:"+env.User, n, now) {
			return limited("Rate limit: at most %d mails per minute for user %s (mails_per_minute)", n, env.User)
		}
	}
	if n := p.rules().Limits.MailsPerMinute; n > 0 {
		if !p.minute.allow("sender:"+senderKey(env.From), n, now) {
			return limited("Rate limit: at most %d mails per minute from <%s> (mails_per_minute)", n, env.From)
		}
	}
	return nil
}

// Rcpt implements smtpd.Policy: recipients per mail, answered as RFC 5321
// says for too many recipients (452 4.5.3: send the rest in another mail).
func (p *Policy) Rcpt(_ context.Context, env *smtpd.Envelope, _ string) error {
	if n := p.limitsFor(env.User).RecipientsPerMail; n > 0 && len(env.Recipients) >= n {
		return smtpd.Errorf(452, [3]int{4, 5, 3}, "Too many recipients: at most %d per mail (recipients_per_mail)", n)
	}
	return nil
}

// Data implements smtpd.Policy: SPF, DKIM and DMARC of mail that comes
// without AUTH, as Config.Verification says.
func (p *Policy) Data(ctx context.Context, env *smtpd.Envelope, body []byte) ([]byte, error) {
	if p.rules().Verification == Off || env.User != "" {
		return body, nil
	}
	res := p.verify.check(ctx, env, body)
	p.log.Info("sender verification", "conn_id", env.ID, "from", env.From,
		"spf", res.SPF, "dkim", res.DKIM, "dmarc", res.DMARC, "header_from", res.FromDomain)
	if p.rules().Verification == Reject {
		if err := res.refusal(); err != nil {
			return nil, err
		}
	}
	return append([]byte(res.header()), body...), nil
}
