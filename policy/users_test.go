package policy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/smtpd"
)

// TestUserLimitsShareMailCounters: an integration's messages and parts
// count on the same user counters as the user's mail, and only there.
func TestUserLimitsShareMailCounters(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	p := newTestPolicy(t, Config{
		Users:  map[string]User{"app": {Limits: Limits{MailsPerMinute: 2, PartsPerDay: 5}}},
		Limits: Limits{PartsPerDay: 3},
		Now:    func() time.Time { return now },
	})
	ctx := context.Background()
	if err := p.Mail(ctx, &smtpd.Envelope{User: "app", From: "a@example.com"}); err != nil {
		t.Fatal(err)
	}
	if err := p.AllowUserSend("app"); err != nil {
		t.Fatalf("second message of 2 a minute: %v", err)
	}
	err := p.AllowUserSend("app")
	if !errors.Is(err, ErrRateLimit) || !strings.Contains(err.Error(), "at most 2 messages per minute for user app") {
		t.Fatalf("third message: %v, want ErrRateLimit", err)
	}
	if err := p.AllowUserSend("other"); err != nil {
		t.Fatalf("a user without limits: %v", err)
	}
	if err := p.ChargeParts(ctx, "app", "a@example.com", 2); err != nil {
		t.Fatal(err)
	}
	if err := p.ChargeUserParts(ctx, "app", 3); err != nil {
		t.Fatalf("parts 3..5 of 5: %v", err)
	}
	err = p.ChargeUserParts(ctx, "app", 1)
	if !errors.Is(err, ErrDailyLimit) || !strings.Contains(err.Error(), "5 SMS parts per day for user app") {
		t.Fatalf("part 6 of 5: %v, want ErrDailyLimit", err)
	}
	p.RefundUserParts("app", 1)
	if err := p.ChargeUserParts(ctx, "app", 1); err != nil {
		t.Fatalf("after a refund: %v", err)
	}
	// [limits] apply to each user too, on the user's own counter.
	if err := p.ChargeUserParts(ctx, "other", 3); err != nil {
		t.Fatalf("another user's first parts: %v", err)
	}
	if err := p.ChargeUserParts(ctx, "other", 1); !errors.Is(err, ErrDailyLimit) {
		t.Fatalf("another user over [limits] parts_per_day: %v", err)
	}
}
