package configs

import (
	"fmt"
	"strings"

	"github.com/smsbridge/smsbridge/priority"
)

// Priority is the [priority] table: how much of the submits the less
// urgent classes keep while more urgent parts wait, and the rules that set
// or cap a message's class by who sent it or to which alias.
type Priority struct {
	NormalShare float64        `toml:"normal_share"` // 0–1; 0 = normal waits for every urgent part
	BulkShare   float64        `toml:"bulk_share"`
	Rules       []PriorityRule `toml:"rules"`
}

// PriorityRule is one [[priority.rules]] entry: exactly one of User,
// Sender and Alias, and Class (set) or Max (cap), or both.
type PriorityRule struct {
	User   string `toml:"user"`   // SMTP AUTH name
	Sender string `toml:"sender"` // envelope sender address or "@domain"
	Alias  string `toml:"alias"`  // a name in [aliases]
	Class  string `toml:"class"`  // urgent | normal | bulk: always this class
	Max    string `toml:"max"`    // urgent | normal | bulk: never more urgent than this
}

const defaultShare = 0.1

// PriorityRules are [[priority.rules]] in file order, parsed.
func (cfg *Config) PriorityRules() []priority.Rule {
	out := make([]priority.Rule, 0, len(cfg.Priority.Rules))
	for _, r := range cfg.Priority.Rules {
		pr := priority.Rule{User: r.User, Sender: r.Sender, Alias: r.Alias}
		if r.Class != "" {
			pr.Force, _ = priority.Parse(r.Class)
			pr.HasForce = true
		}
		if r.Max != "" {
			pr.Max, _ = priority.Parse(r.Max)
			pr.HasMax = true
		}
		out = append(out, pr)
	}
	return out
}

func (cfg *Config) validatePriority(c *checker) {
	p := cfg.Priority
	c.share("priority.normal_share", p.NormalShare)
	c.share("priority.bulk_share", p.BulkShare)
	if p.NormalShare+p.BulkShare > 0.9 {
		c.add("priority.bulk_share", "normal_share and bulk_share together leave urgent less than a tenth of the submits")
	}
	for i, r := range p.Rules {
		path := fmt.Sprintf("priority.rules[%d]", i)
		set := 0
		for _, v := range []string{r.User, r.Sender, r.Alias} {
			if v != "" {
				set++
			}
		}
		if set != 1 {
			c.add(path, "needs exactly one of user, sender and alias")
		}
		switch {
		case r.Sender != "" && strings.HasPrefix(r.Sender, "@"):
			if !isDomain(r.Sender[1:]) {
				c.add(path+".sender", "%q is not \"@\" and a domain name", r.Sender)
			}
		case r.Sender != "":
			c.address(path+".sender", r.Sender)
		}
		if r.User != "" && !cfg.hasUser(r.User) {
			c.add(path+".user", "%q is not a name in [[smtp.users]]", r.User)
		}
		if r.Alias != "" && !hasAlias(cfg.Aliases, r.Alias) {
			c.add(path+".alias", "%q is not an alias in [aliases]", r.Alias)
		}
		if r.Class == "" && r.Max == "" {
			c.add(path, "needs class (always this class) or max (never more urgent), or both")
		}
		c.class(path+".class", r.Class)
		c.class(path+".max", r.Max)
	}
}

func (c *checker) share(path string, v float64) {
	if !finite(v) || v < 0 || v > 0.5 {
		c.add(path, "%v is not a share from 0 to 0.5 (0.1 = one submit in ten)", v)
	}
}

// class checks a class name; "" is left to the caller.
func (c *checker) class(path, v string) {
	if _, err := priority.Parse(v); v != "" && err != nil {
		c.add(path, "%q is not a priority class (%s)", v, priority.Names)
	}
}

func (cfg *Config) hasUser(name string) bool {
	for _, u := range cfg.SMTP.Users {
		if u.Name == name {
			return true
		}
	}
	return false
}
