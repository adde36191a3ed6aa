package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/transport"
)

// integrationUsers is what sendsms and the SMPP server know of the
// [[smtp.users]] beyond their passwords: the SMS sources each may use, and
// the numbers whose SMS from phones go to its ESME binds.
type integrationUsers struct {
	senders map[string]userSenders
	numbers []numberOwner // longest prefix first
}

type userSenders struct {
	allowed []string
	def     string
}

type numberOwner struct{ prefix, user string }

func newIntegrationUsers(cfg *configs.Config) *integrationUsers {
	u := &integrationUsers{senders: map[string]userSenders{}}
	for _, su := range cfg.SMTP.Users {
		u.senders[su.Name] = userSenders{allowed: su.SMSSenders, def: su.DefaultSMSSender}
		for _, n := range su.SMPPNumbers {
			u.numbers = append(u.numbers, numberOwner{prefix: n, user: su.Name})
		}
	}
	slices.SortStableFunc(u.numbers, func(a, b numberOwner) int { return cmp.Compare(len(b.prefix), len(a.prefix)) })
	return u
}

// source is the SMS source of a request of user asking for from ("" for
// none): the user's default_sms_sender without one, and also when the user
// has no sms_senders (from is ignored, as with Kannel's faked-sender);
// from when it is one of them (a number with or without its '+'); else
// an error.
func (u *integrationUsers) source(user, from string) (string, error) {
	s := u.senders[user]
	if from == "" || len(s.allowed) == 0 {
		return s.def, nil
	}
	for _, a := range s.allowed {
		if a == from || sameNumber(a, from) {
			return a, nil
		}
	}
	return "", fmt.Errorf("%q is not one of user %s's sms_senders", from, user)
}

// sameNumber reports whether a and b are one number, '+' or not.
func sameNumber(a, b string) bool {
	a, b = strings.TrimPrefix(a, "+"), strings.TrimPrefix(b, "+")
	return a != "" && a == b && strings.Trim(a, "0123456789") == ""
}

// esmeFor is the user whose smpp_numbers hold to (the longest prefix),
// to with or without its '+'.
func (u *integrationUsers) esmeFor(to string) (string, bool) {
	for _, n := range u.numbers {
		if strings.HasPrefix(to, n.prefix) || strings.HasPrefix("+"+to, n.prefix) && strings.HasPrefix(n.prefix, "+") {
			return n.user, true
		}
	}
	return "", false
}

// TakeInbound hands an SMS from a phone to the SMPP server once it runs
// (bridge.Handoff); before, and without it, nothing is taken.
func (k *smppKick) TakeInbound(ctx context.Context, from string, in transport.Inbound) (bool, error) {
	if s := k.srv.Load(); s != nil {
		return s.TakeInbound(ctx, from, in)
	}
	return false, nil
}
