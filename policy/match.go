package policy

import (
	"strings"

	"github.com/smsbridge/smsbridge/smtpd"
)

// senderAllowed reports whether from matches one of allowed: an address
// (case-insensitive), "@domain" for any address at that domain, or "<>"
// for the null sender. An empty list allows any sender.
func senderAllowed(allowed []string, from string) bool {
	if len(allowed) == 0 {
		return true
	}
	if from == "" {
		for _, a := range allowed {
			if a == "<>" {
				return true
			}
		}
		return false
	}
	at := strings.LastIndexByte(from, '@')
	domain := strings.TrimSuffix(from[at+1:], ".")
	for _, a := range allowed {
		switch {
		case strings.HasPrefix(a, "@"):
			if at >= 0 && strings.EqualFold(a[1:], domain) {
				return true
			}
		case strings.EqualFold(a, from):
			return true
		}
	}
	return false
}

// AllowRecipient decides whether an authenticated user may send to a
// recipient: alias is the alias name when the address was an alias ("" for
// a number), numbers the E.164 numbers it stands for. The bridge calls it
// from Recipient; the reply is 550 5.7.1. An alias is allowed when listed by
// name or when every one of its numbers matches a listed prefix.
func (p *Policy) AllowRecipient(user, alias string, numbers []string) error {
	if user == "" {
		return nil
	}
	allowed := p.rules().Users[user].AllowedRecipients
	if recipientAllowed(allowed, alias, numbers) {
		return nil
	}
	what := alias
	if what == "" && len(numbers) > 0 {
		what = numbers[0]
	}
	return smtpd.Errorf(550, [3]int{5, 7, 1}, "User %s may not send to %s", user, what)
}

func recipientAllowed(allowed []string, alias string, numbers []string) bool {
	if len(allowed) == 0 {
		return true
	}
	if alias != "" {
		for _, a := range allowed {
			if !strings.HasPrefix(a, "+") && strings.EqualFold(a, alias) {
				return true
			}
		}
	}
	if len(numbers) == 0 {
		return false
	}
	for _, n := range numbers {
		if !numberAllowed(allowed, n) {
			return false
		}
	}
	return true
}

func numberAllowed(allowed []string, number string) bool {
	for _, a := range allowed {
		if strings.HasPrefix(a, "+") && strings.HasPrefix(number, a) {
			return true
		}
	}
	return false
}
