package bridge

import (
	"fmt"
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
		ReportFrom:           c.Receipts.From,
		DelayAfter:           c.Receipts.DelayAfter.Duration,
		Retention:            c.Store.Retention.Duration,
		MailRetryFloor:       c.Receipts.RetryMin.Duration,
		InboundDefaultTo:     c.Inbound.DefaultTo,
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
	opt := mailtext.Options{Subject: subject, ShowLinks: c.SMS.ShowLinks}
	for _, expr := range c.SMS.CutAfter {
		re, err := regexp.Compile(expr)
		if err != nil {
			return opt, fmt.Errorf("sms.cut_after: %w", err)
		}
		opt.CutAfter = append(opt.CutAfter, re)
	}
	return opt, nil
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
	return sms.Options{Mode: mode, Split: split, MaxParts: c.SMS.MaxParts, Truncate: c.SMS.OnTooLong != "reject"}, nil
}
