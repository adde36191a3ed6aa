package bridge

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/transport"
)

// numbers returns n distinct numbers starting at +1415555 base.
func testNumbers(base, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("+1415%07d", base+i)
	}
	return out
}

// waitSent waits until the transport saw n sends, failing after 20s.
func waitSent(t *testing.T, tr *fakeTransport, n int) []transport.Part {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for tr.sentCount() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d sends, want %d", tr.sentCount(), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]transport.Part(nil), tr.sent...)
}

// An urgent part queued behind a bulk backlog is the next one leased once
// a slot frees, not after the backlog.
func TestUrgentOvertakesBulkBacklog(t *testing.T) {
	t.Parallel()
	gate := make(chan struct{})
	tr := newFakeTransport(func(n int, p *transport.Part) (string, error) {
		<-gate
		return fmt.Sprintf("id-%d", n), nil
	})
	cfg := testConfig()
	cfg.ReceiptMode = "none"
	cfg.Priority.Shares = [3]float64{0, 0.1, 0.1}
	g, _ := startTestGateway(t, cfg, tr, newFakeMailer())
	ctx := context.Background()
	if _, err := g.SendClassText(ctx, "test", "", testNumbers(1000, 200), "bulk", priority.Bulk); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		gate <- struct{}{}
	}
	const slots = 4
	waitSent(t, tr, 10+slots) // ten done, four held in their Send
	for i := range 5 {
		if _, err := g.SendClassText(ctx, "test", "", testNumbers(5000+i, 1), "urgent", priority.Urgent); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(50 * time.Millisecond) // let the dispatcher see them; no slot is free
	close(gate)
	sent := waitSent(t, tr, 205)
	var at []int
	for i, p := range sent {
		if p.Text == "urgent" {
			at = append(at, i)
		}
	}
	// A bulk part leased in the same round as the last urgent ones may
	// reach Send first on another worker, by at most the other slots.
	if len(at) != 5 || at[0] != 10+slots || at[4] >= 10+slots+5+slots-1 {
		t.Errorf("urgent parts sent at %v of %d, want 14 to 21: right after the four in flight", at, len(sent))
	}
}

// With urgent parts always waiting, normal and bulk still get their share
// of the submits.
func TestSharesUnderUrgentLoad(t *testing.T) {
	t.Parallel()
	hold := make(chan struct{}) // sends wait until every class is queued
	tr := newFakeTransport(func(n int, p *transport.Part) (string, error) {
		<-hold
		return fmt.Sprintf("id-%d", n), nil
	})
	cfg := testConfig()
	cfg.ReceiptMode = "none"
	cfg.Priority.Shares = [3]float64{0, 0.2, 0.1}
	g, _ := startTestGateway(t, cfg, tr, newFakeMailer())
	ctx := context.Background()
	if _, err := g.SendClassText(ctx, "test", "", testNumbers(1000, 600), "urgent", priority.Urgent); err != nil {
		t.Fatal(err)
	}
	if _, err := g.SendClassText(ctx, "test", "", testNumbers(2000, 300), "normal", priority.Normal); err != nil {
		t.Fatal(err)
	}
	if _, err := g.SendClassText(ctx, "test", "", testNumbers(3000, 300), "bulk", priority.Bulk); err != nil {
		t.Fatal(err)
	}
	close(hold)
	sent := waitSent(t, tr, 500)
	count := map[string]int{}
	for _, p := range sent[:500] {
		count[p.Text]++
	}
	t.Logf("first 500 submits: %v", count)
	// The four held at the start were leased before every class was queued.
	for class, want := range map[string]float64{"normal": 0.2, "bulk": 0.1} {
		got := float64(count[class]) / 500
		if got < want-0.03 || got > want+0.03 {
			t.Errorf("%s got %.3f of the submits, want %.2f", class, got, want)
		}
	}
}

// A mail's class comes from its headers, then the rules for its SMTP user,
// sender and aliases; API texts follow the sender rules.
func TestMessageClass(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Priority.Rules = []priority.Rule{
		{User: "nagios", Force: priority.Urgent, HasForce: true},
		{Sender: "@news.example.com", Force: priority.Bulk, HasForce: true},
		{User: "intern", Max: priority.Normal, HasMax: true},
		{Alias: "oncall", Force: priority.Urgent, HasForce: true},
	}
	hold := make(chan struct{})
	defer close(hold)
	tr := newFakeTransport(func(int, *transport.Part) (string, error) { <-hold; return "x", nil })
	g, st := startTestGateway(t, cfg, tr, newFakeMailer())
	tests := []struct {
		name, user, from, rcpt, header string
		want                           priority.Class
	}{
		{"plain", "", "a@example.com", "4155550123@sms.test", "", priority.Normal},
		{"X-Priority 1", "", "a@example.com", "4155550123@sms.test", "X-Priority: 1\r\n", priority.Urgent},
		{"Precedence bulk", "", "a@example.com", "4155550123@sms.test", "Precedence: bulk\r\n", priority.Bulk},
		{"user forced urgent", "nagios", "a@example.com", "4155550123@sms.test", "Importance: low\r\n", priority.Urgent},
		{"sender domain forced bulk", "", "x@news.example.com", "4155550123@sms.test", "Priority: urgent\r\n", priority.Bulk},
		{"user may not send urgent", "intern", "a@example.com", "4155550123@sms.test", "Priority: urgent\r\n", priority.Normal},
		{"alias forced urgent", "", "a@example.com", "OnCall@sms.test", "", priority.Urgent},
		{"alias forced, user capped", "intern", "a@example.com", "oncall@sms.test", "", priority.Normal},
	}
	for _, tt := range tests {
		id, err := submitAs(g, Mail{ConnID: "test", From: tt.from, User: tt.user}, []string{tt.rcpt}, "Subject: s\r\n"+tt.header+"\r\nbody\r\n")
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		m, err := st.Message(id)
		if err != nil {
			t.Fatal(err)
		}
		if m.Class != tt.want {
			t.Errorf("%s: class %v, want %v", tt.name, m.Class, tt.want)
		}
	}
	id, err := g.SendClassText(context.Background(), "api", "y@news.example.com", testNumbers(1, 1), "hi", priority.Urgent)
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := st.Message(id); m == nil || m.Class != priority.Bulk {
		t.Errorf("API text from a bulk sender: %+v", m)
	}
}
