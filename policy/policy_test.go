package policy

import (
	"context"
	"maps"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/smtpd"
)

func newTestPolicy(t testing.TB, cfg Config) *Policy {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSenderAllowed(t *testing.T) {
	t.Parallel()
	allowed := []string{"alerts@example.com", "@ops.example.com"}
	tests := []struct {
		from string
		want bool
	}{
		{"alerts@example.com", true},
		{"ALERTS@Example.COM", true},
		{"x@ops.example.com", true},
		{"x@OPS.example.com.", true},
		{"x@sub.ops.example.com", false},
		{"other@example.com", false},
		{"alerts@example.com.evil.test", false},
		{"x@ops.example.com@evil.test", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := senderAllowed(allowed, tt.from); got != tt.want {
			t.Errorf("senderAllowed(%q) = %v, want %v", tt.from, got, tt.want)
		}
	}
	if !senderAllowed(nil, "any@where.test") || !senderAllowed([]string{"<>"}, "") {
		t.Error("empty list or <> not honoured")
	}
}

func TestRecipientAllowed(t *testing.T) {
	t.Parallel()
	allowed := []string{"oncall", "+1"}
	tests := []struct {
		alias   string
		numbers []string
		want    bool
	}{
		{"oncall", []string{"+4930123456"}, true},
		{"OnCall", nil, true},
		{"", []string{"+14155550100"}, true},
		{"", []string{"+4930123456"}, false},
		{"team", []string{"+14155550100", "+14155550101"}, true}, // every number matches a prefix
		{"team", []string{"+14155550100", "+447700900123"}, false},
		{"", nil, false},
	}
	for _, tt := range tests {
		if got := recipientAllowed(allowed, tt.alias, tt.numbers); got != tt.want {
			t.Errorf("recipientAllowed(%q, %v) = %v, want %v", tt.alias, tt.numbers, got, tt.want)
		}
	}
	p := newTestPolicy(t, Config{Users: map[string]User{"alerts": {AllowedRecipients: allowed}}})
	err := p.AllowRecipient("alerts", "", []string{"+4930123456"})
	if err == nil || !strings.HasPrefix(err.Error(), "550 5.7.1") {
		t.Fatalf("AllowRecipient: %v, want 550 5.7.1", err)
	}
	if err := p.AllowRecipient("", "", []string{"+4930123456"}); err != nil {
		t.Fatalf("unauthenticated: %v", err)
	}
}

func TestMailPolicy(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	p := newTestPolicy(t, Config{
		Users:  map[string]User{"alerts": {AllowedSenders: []string{"@example.com"}, Limits: Limits{MailsPerMinute: 2}}},
		Limits: Limits{MailsPerMinute: 3, RecipientsPerMail: 2},
		Now:    clock,
	})
	ctx := context.Background()
	mail := func(user, from string) error { return p.Mail(ctx, &smtpd.Envelope{User: user, From: from}) }
	if err := mail("alerts", "x@evil.test"); err == nil || !strings.HasPrefix(err.Error(), "553 5.7.1") {
		t.Fatalf("foreign sender: %v", err)
	}
	for i := range 2 {
		if err := mail("alerts", "a@example.com"); err != nil {
			t.Fatalf("mail %d: %v", i, err)
		}
	}
	if err := mail("alerts", "b@example.com"); err == nil || !strings.Contains(err.Error(), "450 4.7.1") ||
		!strings.Contains(err.Error(), "2 mails per minute for user alerts") {
		t.Fatalf("third mail of the user: %v", err)
	}
	// The sender address has its own bucket: a@example.com used 2 of 3.
	if err := mail("", "a@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := mail("", "A@example.com"); err == nil || !strings.Contains(err.Error(), "from <A@example.com>") {
		t.Fatalf("fourth mail of the sender: %v", err)
	}
	now = now.Add(time.Minute)
	if err := mail("alerts", "a@example.com"); err != nil {
		t.Fatalf("a minute later: %v", err)
	}

	env := &smtpd.Envelope{From: "a@example.com"}
	for i := range 3 {
		err := p.Rcpt(ctx, env, "x@sms.test")
		if i < 2 && err != nil || i == 2 && (err == nil || !strings.HasPrefix(err.Error(), "452 4.5.3") || !strings.Contains(err.Error(), "recipients_per_mail")) {
			t.Fatalf("rcpt %d: %v", i, err)
		}
		env.Recipients = append(env.Recipients, smtpd.Recipient{})
	}
}

// TestPartsPerDaySurviveRestart charges parts, restarts the policy on the
// same file, and finds the day's counts kept, and reset the next day.
func TestPartsPerDaySurviveRestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "limits.json")
	now := time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC)
	cfg := Config{
		Users:    map[string]User{"alerts": {Limits: Limits{PartsPerDay: 10}}},
		Limits:   Limits{PartsPerDay: 8},
		Counters: FileStore{Path: path},
		Now:      func() time.Time { return now },
	}
	ctx := context.Background()
	const user, sender = "alerts", "a@example.com"
	p := newTestPolicy(t, cfg)
	if err := p.ChargeParts(ctx, user, sender, 6); err != nil {
		t.Fatal(err)
	}
	p.RefundParts(user, sender, 1)

	p = newTestPolicy(t, cfg) // a restart
	err := p.ChargeParts(ctx, user, sender, 4)
	if err == nil || !strings.Contains(err.Error(), "450 4.7.1") || !strings.Contains(err.Error(), "8 SMS parts per day for <a@example.com>") {
		t.Fatalf("over the sender's daily limit after restart: %v", err)
	}
	if err := p.ChargeParts(ctx, user, sender, 3); err != nil {
		t.Fatalf("within the limit: %v", err)
	}
	if err := p.ChargeParts(ctx, user, "b@example.com", 3); err == nil || !strings.Contains(err.Error(), "for user alerts") {
		t.Fatalf("over the user's daily limit: %v", err)
	}
	now = now.Add(2 * time.Hour) // the next UTC day
	if err := p.ChargeParts(ctx, user, sender, 8); err != nil {
		t.Fatalf("next day: %v", err)
	}
}

func TestChargePartsConcurrent(t *testing.T) {
	t.Parallel()
	p := newTestPolicy(t, Config{Limits: Limits{PartsPerDay: 100}, Counters: FileStore{Path: filepath.Join(t.TempDir(), "c.json")}})
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 30 {
		wg.Go(func() {
			if p.ChargeParts(context.Background(), "", "a@b.c", 7) == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if ok != 14 { // 14 × 7 = 98 ≤ 100 < 105
		t.Fatalf("%d charges of 7 accepted under a limit of 100, want 14", ok)
	}
	counts, err := p.rules().Counters.Load()
	if err != nil || counts["sender:a@b.c"].N != 98 {
		t.Fatalf("saved %v, %v; want 98", counts, err)
	}
}

// sharedMem is two gateways' counters in one place: each saves its own,
// and sees the other's as Others.
type sharedMem struct {
	mu    *sync.Mutex
	all   map[string]map[string]DayCount
	self  string
	other string
}

func (s sharedMem) Load() (map[string]DayCount, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.all[s.self]), nil
}

func (s sharedMem) Save(c map[string]DayCount) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all[s.self] = maps.Clone(c)
	return nil
}

func (s sharedMem) Others() map[string]DayCount {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.all[s.other])
}

// TestPartsPerDayShared: two gateways sharing their counters hold one
// daily limit between them, as they charge, not only from a restart.
func TestPartsPerDayShared(t *testing.T) {
	t.Parallel()
	mu := &sync.Mutex{}
	all := map[string]map[string]DayCount{}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	gateway := func(self, other string) *Policy {
		return newTestPolicy(t, Config{Limits: Limits{PartsPerDay: 10},
			Counters: sharedMem{mu: mu, all: all, self: self, other: other}, Now: func() time.Time { return now }})
	}
	a, b := gateway("a", "b"), gateway("b", "a")
	ctx := context.Background()
	if err := a.ChargeParts(ctx, "", "s@example.com", 6); err != nil {
		t.Fatal(err)
	}
	if err := b.ChargeParts(ctx, "", "s@example.com", 5); err == nil || !strings.Contains(err.Error(), "10 SMS parts per day") {
		t.Fatalf("b over the limit a has mostly used: %v", err)
	}
	if err := b.ChargeParts(ctx, "", "s@example.com", 4); err != nil {
		t.Fatalf("b within what a left: %v", err)
	}
	if err := a.ChargeParts(ctx, "", "s@example.com", 1); err == nil {
		t.Fatal("a charged over the limit both used up")
	}
	mu.Lock()
	defer mu.Unlock()
	if a, b := all["a"]["sender:s@example.com"].N, all["b"]["sender:s@example.com"].N; a != 6 || b != 4 {
		t.Errorf("saved a %d and b %d; each keeps its own: want 6 and 4", a, b)
	}
}
