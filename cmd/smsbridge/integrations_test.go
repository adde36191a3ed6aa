package main

import (
	"testing"

	"github.com/smsbridge/smsbridge/configs"
)

func TestIntegrationUsers(t *testing.T) {
	t.Parallel()
	cfg := &configs.Config{SMTP: configs.SMTP{Users: []configs.User{
		{Name: "app", SMSSenders: []string{"ACME", "+447900000001"}, DefaultSMSSender: "ACME", SMPPNumbers: []string{"+4479", "12345"}},
		{Name: "shop", SMPPNumbers: []string{"+447900"}},
		{Name: "plain", DefaultSMSSender: "PLAIN"},
	}}}
	u := newIntegrationUsers(cfg)
	sources := []struct {
		user, from, want string
		bad              bool
	}{
		{"app", "", "ACME", false},
		{"app", "ACME", "ACME", false},
		{"app", "447900000001", "+447900000001", false},
		{"app", "+447900000001", "+447900000001", false},
		{"app", "acme", "", true},
		{"app", "BANK", "", true},
		{"plain", "BANK", "PLAIN", false}, // no sms_senders: from is ignored
		{"nobody", "X", "", false},
	}
	for _, tt := range sources {
		got, err := u.source(tt.user, tt.from)
		if got != tt.want || (err != nil) != tt.bad {
			t.Errorf("source(%s, %q) = %q, %v; want %q (refused: %v)", tt.user, tt.from, got, err, tt.want, tt.bad)
		}
	}
	numbers := []struct{ to, user string }{
		{"+447900123456", "shop"}, // the longest prefix
		{"447900123456", "shop"},
		{"+447911123456", "app"},
		{"12345", "app"},
		{"123456", "app"},
		{"+14155550100", ""},
		{"4479", "app"},
	}
	for _, tt := range numbers {
		got, ok := u.esmeFor(tt.to)
		if got != tt.user || ok != (tt.user != "") {
			t.Errorf("esmeFor(%q) = %q, %v; want %q", tt.to, got, ok, tt.user)
		}
	}
}
