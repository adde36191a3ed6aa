package bridge

import (
	"strings"

	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/store"
)

// Priority is how messages get their class and how classes share the
// transports.
type Priority struct {
	Rules []priority.Rule
	// Shares is, by class rank, the part of the submits a class gets at
	// least while more urgent parts wait (urgent's entry is unused); 0.1
	// means one submit in ten.
	Shares [len(priority.Classes)]float64
}

// DefaultShare is the share normal and bulk get when the configuration
// names none.
const DefaultShare = 0.1

// mailClass is the class a mail from env is served in: what its headers
// ask, overridden by the rules for its SMTP user, sender and aliases.
func (g *Gateway) mailClass(env Mail, data []byte) priority.Class {
	o := priority.Origin{User: env.User, Sender: env.From}
	for _, rcpt := range env.Recipients {
		if alias, _, ok := splitAddress(rcpt.Address); ok {
			if _, isAlias := g.conf().Aliases[strings.ToLower(alias)]; isAlias {
				o.Aliases = append(o.Aliases, alias)
			}
		}
	}
	return g.conf().MailClass(data, o)
}

// MailClass is the class of a mail from o: what its headers ask, then the
// [priority] rules.
func (c *Config) MailClass(data []byte, o priority.Origin) priority.Class {
	return priority.Resolve(priority.FromMail(data), c.Priority.Rules, o)
}

// textClass is the class of a text asked for by the API or a command, for
// sender from ("" when none): the sender rules apply as to mail.
func (g *Gateway) textClass(asked priority.Class, from string) priority.Class {
	return priority.Resolve(asked, g.conf().Priority.Rules, priority.Origin{Sender: from})
}

// creditUnit is one submit's worth of credit: shares are kept in
// thousandths so ten leases at 0.1 make exactly one owed submit. Credit
// stops growing at two submits, so a class that was not waiting does not
// come back with a burst.
const (
	creditUnit = 1000
	creditCap  = 2 * creditUnit
)

// shares keeps the less urgent classes from starving. Under contention
// (the lanes have less room than there are due parts) every lease earns
// each class its share in credit; a class that has earned a whole submit
// is owed the next slot and takes it from the least urgent part of the
// round. Only the dispatcher's loop uses it.
type shares struct {
	credit    [len(priority.Classes)]int
	contended bool // the current round had more due parts than room
}

// plan adjusts one round's due parts, read most urgent first with room
// for limit: a class owed a submit and missing from due gets one of its
// parts in place of the last (least urgent) entry. dueIn reads a class's
// next due parts.
func (s *shares) plan(due []store.DuePart, limit int, share [len(priority.Classes)]float64, dueIn func(priority.Class, int) ([]store.DuePart, error)) []store.DuePart {
	s.contended = len(due) == limit && limit > 0
	if !s.contended {
		return due
	}
	for rank := len(priority.Classes) - 1; rank > 0; rank-- {
		class := priority.Classes[rank]
		if share[rank] <= 0 || s.credit[rank] < creditUnit {
			continue
		}
		last := len(due) - 1
		if due[last].Class.Rank() >= rank {
			continue // it is served in this round anyway
		}
		owed, err := dueIn(class, 1)
		if err != nil || len(owed) == 0 {
			continue
		}
		due[last] = owed[0]
	}
	return due
}

// leased records that a part of class c was handed to a lane.
func (s *shares) leased(c priority.Class, share [len(priority.Classes)]float64) {
	if s.contended {
		for rank := 1; rank < len(priority.Classes); rank++ {
			s.credit[rank] = min(s.credit[rank]+int(share[rank]*creditUnit+0.5), creditCap)
		}
	}
	r := c.Rank()
	s.credit[r] = max(s.credit[r]-creditUnit, 0)
}
