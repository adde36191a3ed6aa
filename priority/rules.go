package priority

import "strings"

// Rule overrides the class of mail from one SMTP user, envelope sender or
// to one alias: Force sets the class whatever the mail asks; Max lowers a
// class more urgent than it ("may not send urgent" is Max normal).
type Rule struct {
	User   string // SMTP AUTH name
	Sender string // envelope sender address, or "@domain"
	Alias  string // alias name, as in [aliases]

	Force, Max       Class
	HasForce, HasMax bool
}

// Origin is what rules match a message by.
type Origin struct {
	User    string
	Sender  string
	Aliases []string // aliases named among its recipients
}

func (r *Rule) matches(o Origin) bool {
	switch {
	case r.User != "":
		return r.User == o.User
	case r.Sender != "":
		if strings.HasPrefix(r.Sender, "@") {
			return strings.HasSuffix(strings.ToLower(o.Sender), strings.ToLower(r.Sender))
		}
		return strings.EqualFold(r.Sender, o.Sender)
	case r.Alias != "":
		for _, a := range o.Aliases {
			if strings.EqualFold(a, r.Alias) {
				return true
			}
		}
	}
	return false
}

// Resolve is the class a message from o is served in when it asks for
// asked: the first matching rule with Force sets it, then every matching
// Max lowers it, so a ceiling holds even against a forcing rule.
func Resolve(asked Class, rules []Rule, o Origin) Class {
	c := asked
	for i := range rules {
		if r := &rules[i]; r.HasForce && r.matches(o) {
			c = r.Force
			break
		}
	}
	for i := range rules {
		if r := &rules[i]; r.HasMax && r.matches(o) && c.Rank() < r.Max.Rank() {
			c = r.Max
		}
	}
	return c
}
