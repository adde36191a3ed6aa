package configs

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/smsbridge/smsbridge/carriers"
)

func validateUsers(c *checker, users []User, aliases map[string][]string) {
	seen := map[string]bool{}
	for i, u := range users {
		p := indexPath("smtp.users", i)
		switch {
		case u.Name == "":
			c.add(p+".name", "must not be empty")
		case seen[u.Name]:
			c.add(p+".name", "duplicate user %q", u.Name)
		}
		seen[u.Name] = true
		if _, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil {
			c.addErr(p+".password_hash", err, "not a bcrypt hash (\"$2a$10$...\"); make one with `smsbridge passwd`")
		}
		validateUserPolicy(c, p, u, aliases)
	}
}

func (cfg *Config) validateSMS(c *checker) {
	s := cfg.SMS
	if !carriers.KnownRegion(s.DefaultRegion) {
		c.add("sms.default_region", "%q is not a region code such as \"US\"", s.DefaultRegion)
	}
	c.oneOf("sms.encoding", s.Encoding, "ascii", "gsm7", "ucs2", "auto")
	c.oneOf("sms.split", s.Split, "udh", "plain")
	c.atLeast("sms.max_parts", int64(s.MaxParts), 1)
	if s.MaxParts > 255 { // the UDH part count is one octet
		c.add("sms.max_parts", "%d is more than 255", s.MaxParts)
	}
	c.oneOf("sms.on_too_long", s.OnTooLong, "truncate", "reject")
	c.oneOf("sms.subject", s.Subject, "prefix", "ignore")
	c.oneOf("sms.unreadable", s.Unreadable, "ucs2", "reject")
	c.positive("sms.validity", s.Validity)
	for _, r := range s.AllowedCountries {
		if !carriers.KnownRegion(r) {
			c.add("sms.allowed_countries", "%q is not a region code such as \"US\"", r)
		}
	}
	for _, expr := range s.CutAfter {
		if _, err := regexp.Compile(expr); err != nil {
			c.addErr("sms.cut_after", err, "bad regular expression: %v", err)
		}
	}
}

func (cfg *Config) validateReceipts(c *checker) {
	r := cfg.Receipts
	c.oneOf("receipts.mode", r.Mode, "all", "failure", "none")
	if r.Smarthost != "" {
		c.hostPort("receipts.smarthost", r.Smarthost)
	} else if r.Maildir == "" && r.Mode != "none" {
		c.add("receipts.maildir", "must be set when there is no smarthost")
	}
	if (r.SmarthostUser == "") != (r.SmarthostPassword == "") {
		c.add("receipts.smarthost_user", "smarthost_user and smarthost_password go together")
	}
	c.oneOf("receipts.smarthost_tls", r.SmarthostTLS, "opportunistic", "starttls", "implicit", "none")
	c.notNegative("receipts.delay_after", r.DelayAfter)
	c.positive("receipts.retry_min", r.RetryMin)
	c.address("receipts.from", r.From)
}

func (cfg *Config) validateInbound(c *checker) {
	if cfg.Inbound.DefaultTo != "" {
		c.address("inbound.default_to", cfg.Inbound.DefaultTo)
	}
	c.positive("inbound.conversation_ttl", cfg.Inbound.ConversationTTL)
}

func (cfg *Config) validateAliases(c *checker) {
	if !carriers.KnownRegion(cfg.SMS.DefaultRegion) {
		return // numbers cannot be read; default_region is reported
	}
	policy := cfg.NumberPolicy()
	for _, name := range slices.Sorted(maps.Keys(cfg.Aliases)) {
		numbers := cfg.Aliases[name]
		p := joinPath("aliases", name)
		if strings.ContainsAny(name, "@ \t\"<>,;") {
			c.add(p, "%q cannot be the local part of an address", name)
		}
		if len(numbers) == 0 {
			c.add(p, "no numbers")
		}
		for _, n := range numbers {
			if _, err := policy.Normalize(n); err != nil {
				c.addErr(p, err, "%v", err)
			}
		}
	}
}

// normalizeAliases rewrites alias numbers in E.164, once Validate has
// accepted them all.
func (cfg *Config) normalizeAliases() {
	policy := cfg.NumberPolicy()
	for _, numbers := range cfg.Aliases {
		for i, n := range numbers {
			if e, err := policy.Normalize(n); err == nil {
				numbers[i] = e
			}
		}
	}
}

func (cfg *Config) validateHTTP(c *checker) {
	if cfg.HTTP.Listen != "" {
		c.hostPort("http.listen", cfg.HTTP.Listen)
	}
	full := map[string]bool{}
	for _, t := range cfg.HTTP.Tokens {
		if strings.TrimSpace(t) == "" {
			c.add("http.tokens", "empty token")
		}
		full[t] = true
	}
	for _, t := range cfg.HTTP.ReadOnlyTokens {
		switch {
		case strings.TrimSpace(t) == "":
			c.add("http.read_only_tokens", "empty token")
		case full[t]:
			c.add("http.read_only_tokens", "a token is both in tokens and in read_only_tokens")
		}
	}
	users := map[string]bool{}
	for _, u := range cfg.SMTP.Users {
		users[u.Name] = true
	}
	for _, name := range cfg.HTTP.Operators {
		if !users[name] {
			c.add("http.operators", "%q is not a [[smtp.users]] name", name)
		}
	}
}
