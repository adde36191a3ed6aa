package configs

import (
	"strings"
)

// validateUserPolicy checks one [[smtp.users]] entry's senders, recipients
// and limits; p is its path ("smtp.users[0]").
func validateUserPolicy(c *checker, p string, u User, aliases map[string][]string) {
	for _, s := range u.AllowedSenders {
		switch {
		case s == "<>":
		case strings.HasPrefix(s, "@"):
			if !isDomain(s[1:]) {
				c.add(p+".allowed_senders", "%q is not \"@\" and a domain name", s)
			}
		default:
			c.address(p+".allowed_senders", s)
		}
	}
	for _, r := range u.AllowedRecipients {
		if strings.HasPrefix(r, "+") {
			if len(r) < 2 || strings.Trim(r[1:], "0123456789") != "" {
				c.add(p+".allowed_recipients", "%q is not a number prefix such as \"+1\"", r)
			}
			continue
		}
		if !hasAlias(aliases, r) {
			c.add(p+".allowed_recipients", "%q is neither a number prefix (\"+1\") nor an alias in [aliases]", r)
		}
	}
	validateLimits(c, p, Limits{MailsPerMinute: u.MailsPerMinute, PartsPerDay: u.PartsPerDay, RecipientsPerMail: u.RecipientsPerMail})
}

func hasAlias(aliases map[string][]string, name string) bool {
	for a := range aliases {
		if strings.EqualFold(a, name) {
			return true
		}
	}
	return false
}

// validateLimits checks limits written under prefix ("limits" or a user).
func validateLimits(c *checker, prefix string, l Limits) {
	c.atLeast(prefix+".mails_per_minute", int64(l.MailsPerMinute), 0)
	c.atLeast(prefix+".parts_per_day", int64(l.PartsPerDay), 0)
	c.atLeast(prefix+".recipients_per_mail", int64(l.RecipientsPerMail), 0)
}
