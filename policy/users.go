package policy

import (
	"context"
	"errors"
)

// The limits of a user who sends through an integration (Kannel's
// sendsms, an ESME bound over SMPP) rather than SMTP: the user's own
// mails_per_minute and parts_per_day, on the same counters as the user's
// mail. No envelope sender is involved, so the per-sender limits do not
// apply. Their refusals wrap ErrRateLimit or ErrDailyLimit, for the
// integration to answer in its own protocol's words.
var (
	ErrRateLimit  = errors.New("rate limit")
	ErrDailyLimit = errors.New("daily limit")
)

// AllowUserSend takes one message of user's mails_per_minute (each sendsms
// request or ESME message counts as one mail).
func (p *Policy) AllowUserSend(user string) error {
	if n := p.limitsFor(user).MailsPerMinute; n > 0 && user != "" {
		if !p.minute.allow("user:"+user, n, p.now()) {
			e := limited("Rate limit: at most %d messages per minute for user %s (mails_per_minute)", n, user)
			e.Err = ErrRateLimit
			return e
		}
	}
	return nil
}

// ChargeUserParts counts parts (SMS parts × numbers) against user's
// parts_per_day, as ChargeParts does for mail; over it, it counts nothing.
// Take it back with RefundUserParts when the message is not stored.
func (p *Policy) ChargeUserParts(_ context.Context, user string, parts int) error {
	limit := p.limitsFor(user).PartsPerDay
	if user == "" || limit <= 0 {
		return nil
	}
	now := p.now()
	if p.daily.charge([]string{"user:" + user}, []int{limit}, parts, now) >= 0 {
		e := limited("Daily limit: at most %d SMS parts per day for user %s (parts_per_day)", limit, user)
		e.Err = ErrDailyLimit
		return e
	}
	if err := p.daily.persist(now); err != nil {
		p.log.Error("abuse counters not saved", "err", err)
	}
	return nil
}

// RefundUserParts takes back a ChargeUserParts whose message was not stored.
func (p *Policy) RefundUserParts(user string, parts int) {
	if user == "" || p.limitsFor(user).PartsPerDay <= 0 {
		return
	}
	now := p.now()
	p.daily.refund([]string{"user:" + user}, parts, now)
	if err := p.daily.persist(now); err != nil {
		p.log.Error("abuse counters not saved", "err", err)
	}
}
