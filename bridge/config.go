package bridge

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"

	"github.com/smsbridge/smsbridge/bridge/mailtext"
	"github.com/smsbridge/smsbridge/carriers"
	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/sms"
)

// ConfigFrom derives the bridge's configuration from a validated file:
// modes parsed, patterns compiled, aliases normalized to E.164.
func ConfigFrom(c *configs.Config) (Config, error) {
	cfg := Config{
		Hostname:             c.SMTP.Hostname,
		AcceptCarrierDomains: c.SMTP.AcceptCarrierDomains,
		Numbers:              c.NumberPolicy().Cached(), // a reload starts a new cache
		Validity:             c.SMS.Validity.Duration,
		ReceiptMode:          c.Receipts.Mode,
		ReportFrom:           unquoted(c.Receipts.From),
		DelayAfter:           c.Receipts.DelayAfter.Duration,
		Retention:            c.Store.Retention.Duration,
		MailRetryFloor:       c.Receipts.RetryMin.Duration,
		InboundDefaultTo:     unquoted(c.Inbound.DefaultTo),
		ConversationTTL:      c.Inbound.ConversationTTL.Duration,
		Keywords:             Keywords{StopReply: c.Inbound.StopReply, StartReply: c.Inbound.StartReply, HelpReply: c.Inbound.HelpReply},
		Aliases:              map[string][]string{},
		Priority: Priority{Rules: c.PriorityRules(),
			Shares: [3]float64{0, c.Priority.NormalShare, c.Priority.BulkShare}},
		Campaigns: Campaigns{MinRecipients: c.Campaigns.MinRecipients, Pace: c.CampaignPace()},
	}
	for _, d := range c.SMTP.Domains {
		cfg.Domains = append(cfg.Domains, strings.TrimSuffix(strings.ToLower(d), "."))
	}
	var err error
	if cfg.Text, err = textOptions(c); err != nil {
		return cfg, err
	}
	if cfg.SMS, err = smsOptions(c); err != nil {
		return cfg, err
	}
	for _, r := range c.Routes {
		cfg.Routes = append(cfg.Routes, carriers.Route{Prefix: r.Prefix, Transports: r.Transports, Source: r.Source})
	}
	for name, numbers := range c.Aliases {
		for _, n := range numbers {
			e164, err := cfg.Numbers.Normalize(n)
			if err != nil {
				return cfg, fmt.Errorf("aliases.%s: %q: %w", name, n, err)
			}
			cfg.Aliases[strings.ToLower(name)] = append(cfg.Aliases[strings.ToLower(name)], e164)
		}
	}
	return cfg, nil
}

func textOptions(c *configs.Config) (mailtext.Options, error) {
	subject, err := mailtext.ParseSubjectMode(c.SMS.Subject)
	if err != nil {
		return mailtext.Options{}, fmt.Errorf("sms.subject: %w", err)
	}
	urls, err := mailtext.ParseURLMode(c.Text.URLs)
	if err != nil {
		return mailtext.Options{}, fmt.Errorf("text.urls: %w", err)
	}
	opt := mailtext.Options{Subject: subject, ShowLinks: c.SMS.ShowLinks, URLs: urls}
	// [sms] cut_after is the old name of [text] cut_after: both apply.
	if opt.CutAfter, err = compileAll("sms.cut_after", c.SMS.CutAfter, nil); err != nil {
		return opt, err
	}
	if opt.CutAfter, err = compileAll("text.cut_after", c.Text.CutAfter, opt.CutAfter); err != nil {
		return opt, err
	}
	opt.Drop, err = compileAll("text.drop", c.Text.Drop, nil)
	return opt, err
}

// compileAll appends the compiled expressions to res.
func compileAll(key string, exprs []string, res []*regexp.Regexp) ([]*regexp.Regexp, error) {
	for _, expr := range exprs {
		re, err := regexp.Compile(expr)
		if err != nil {
			return res, fmt.Errorf("%s: %w", key, err)
		}
		res = append(res, re)
	}
	return res, nil
}

func smsOptions(c *configs.Config) (sms.Options, error) {
	mode, err := sms.ParseMode(c.SMS.Encoding)
	if err != nil {
		return sms.Options{}, fmt.Errorf("sms.encoding: %w", err)
	}
	split, err := sms.ParseSplitMode(c.SMS.Split)
	if err != nil {
		return sms.Options{}, fmt.Errorf("sms.split: %w", err)
	}
	emoji, err := sms.ParseEmojiMode(c.Text.Emoji)
	if err != nil {
		return sms.Options{}, fmt.Errorf("text.emoji: %w", err)
	}
	unreadable, err := sms.ParseUnreadableMode(c.SMS.Unreadable)
	if err != nil {
		return sms.Options{}, fmt.Errorf("sms.unreadable: %w", err)
	}
	return sms.Options{Mode: mode, Split: split, MaxParts: c.SMS.MaxParts, Truncate: c.SMS.OnTooLong != "reject",
		Emoji: emoji, Unreadable: unreadable}, nil
}

// unquoted turns a validated address from the file ("john doe"@example.com)
// into the form the gateway keeps senders in, quotes removed, as go-smtp
// hands them out; mailfmt quotes it again wherever it is written.
func unquoted(addr string) string {
	if a, err := mail.ParseAddress(addr); err == nil {
		return a.Address
	}
	return addr
}
