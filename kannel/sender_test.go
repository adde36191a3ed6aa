package kannel

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/policy"
	"github.com/smsbridge/smsbridge/transport"
)

// sentFrom waits for the SMS with text and returns its source.
func (e *testEnv) sentFrom(t *testing.T, text string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		sent := e.sim.Sent()
		if i := slices.IndexFunc(sent, func(p transport.Part) bool { return p.Text == text }); i >= 0 {
			return sent[i].Source
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q not sent", text)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSendsmsFrom: from sets the SMS source where the user may use it; no
// from gives the user's default; another is refused in smsbox's words.
func TestSendsmsFrom(t *testing.T) {
	e := newEnvWith(t, nil, func(o *Options) {
		o.Source = func(user, from string) (string, error) {
			switch {
			case user != testUser:
				return "", errors.New("unknown user")
			case from == "":
				return "DEFAULT", nil
			case from == "ACME":
				return from, nil
			}
			return "", errors.New("not one of the user's senders")
		}
	})
	for _, tc := range []struct{ from, text, want string }{{"ACME", "branded.", "ACME"}, {"", "plain.", "DEFAULT"}} {
		v := url.Values{"to": {"+14155550100"}, "text": {tc.text}}
		if tc.from != "" {
			v.Set("from", tc.from)
		}
		if status, body := e.get(t, v); status != http.StatusAccepted {
			t.Fatalf("from %q: %d %s", tc.from, status, body)
		}
		if got := e.sentFrom(t, tc.text); got != tc.want {
			t.Errorf("from %q: sent from %q, want %q", tc.from, got, tc.want)
		}
	}
	status, body := e.get(t, url.Values{"to": {"+14155550100"}, "text": {"x"}, "from": {"BANK"}})
	if status != http.StatusForbidden || body != "Sender not allowed for this user, rejected" {
		t.Errorf("forbidden from: %d %q", status, body)
	}
}

// TestSendsmsLimits: the user's mails_per_minute and parts_per_day apply
// to sendsms, answered 503 in smsbox's words, and a refused request is
// not queued.
func TestSendsmsLimits(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limits policy.Limits
		want   string
	}{
		{"MailsPerMinute", policy.Limits{MailsPerMinute: 2}, "Sending failed, Rate limit: at most 2 messages per minute for user " + testUser + " (mails_per_minute), rejected"},
		{"PartsPerDay", policy.Limits{PartsPerDay: 3}, "Sending failed, Daily limit: at most 3 SMS parts per day for user " + testUser + " (parts_per_day), rejected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pol, err := policy.New(policy.Config{Users: map[string]policy.User{testUser: {Limits: tc.limits}}})
			if err != nil {
				t.Fatal(err)
			}
			e := newEnvWith(t, pol, func(o *Options) { o.AllowUser = pol.AllowUserSend })
			long := strings.Repeat("y", 200) // two parts
			for i, text := range []string{"one", long} {
				if status, body := e.get(t, url.Values{"to": {"+14155550100"}, "text": {text}}); status != http.StatusAccepted {
					t.Fatalf("request %d: %d %s", i+1, status, body)
				}
			}
			status, body := e.get(t, url.Values{"to": {"+14155550100"}, "text": {long}})
			if status != http.StatusServiceUnavailable || body != tc.want {
				t.Errorf("over the limit: %d %q, want 503 %q", status, body, tc.want)
			}
			if n := len(e.sim.Sent()); n > 3 {
				t.Errorf("%d parts sent, want at most 3", n)
			}
		})
	}
}
