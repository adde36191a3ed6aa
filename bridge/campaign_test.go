package bridge

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/campaign"
	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport"
)

// A bulk mail to many numbers becomes one campaign whose parts are first
// due at its pace.
func TestBulkMailBecomesCampaign(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Campaigns = Campaigns{MinRecipients: 3, Pace: campaign.Pace{Rate: 5}}
	hold := make(chan struct{})
	defer close(hold)
	tr := newFakeTransport(func(int, *transport.Part) (string, error) { <-hold; return "x", nil })
	g, st := startTestGateway(t, cfg, tr, newFakeMailer())
	rcpts := []string{"4155550201@sms.test", "4155550202@sms.test", "oncall@sms.test"}
	id, err := submit(t, g, "news@example.com", rcpts, "Subject: sale\r\nPrecedence: bulk\r\n\r\nspring sale\r\n")
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.Message(id)
	if err != nil {
		t.Fatal(err)
	}
	if m.Campaign == nil || m.Campaign.Rate != 5 || len(m.Recipients) != 4 {
		t.Fatalf("campaign %+v with %d recipients", m.Campaign, len(m.Recipients))
	}
	for i, r := range m.Recipients {
		if d := r.Parts[0].NextAttempt.Sub(m.Received); d != time.Duration(i)*200*time.Millisecond {
			t.Errorf("recipient %d first due %v after acceptance, want %v", i, d, time.Duration(i)*200*time.Millisecond)
		}
	}
	if list, err := st.Campaigns(10); err != nil || len(list) != 1 || list[0].ID != id {
		t.Errorf("Campaigns = %+v, %v", list, err)
	}
	// A normal mail to as many numbers is no campaign.
	id2, err := submit(t, g, "ops@example.com", rcpts, "Subject: down\r\n\r\ndb down\r\n")
	if err != nil {
		t.Fatal(err)
	}
	if m2, _ := st.Message(id2); m2.Campaign != nil {
		t.Errorf("normal mail became a campaign: %+v", m2.Campaign)
	}
}

// A paced campaign's part waits while its window is closed, and is
// cancelled when its number opted out after the campaign was queued.
func TestCampaignWindowAndOptOut(t *testing.T) {
	t.Parallel()
	tr := newFakeTransport(func(n int, _ *transport.Part) (string, error) { return fmt.Sprintf("id-%d", n), nil })
	cfg := testConfig()
	cfg.ReceiptMode = "none"
	g, st := startTestGateway(t, cfg, tr, newFakeMailer())
	ctx := context.Background()

	now := time.Now().UTC()
	closed := campaign.Window{Start: (now.Hour()*60 + now.Minute() + 120) % (24 * 60), End: (now.Hour()*60 + now.Minute() + 180) % (24 * 60)}
	pace := campaign.Pace{Window: closed, Zone: "UTC"}
	// As a retry would leave it: due now although its window is closed.
	m := &store.Message{ID: "closedwindow0001", Received: now, Expires: now.Add(48 * time.Hour), Class: priority.Bulk, Campaign: &pace,
		Recipients: []store.Recipient{{Address: "+14155550300", Number: "+14155550300", Reported: true,
			Parts: []store.Part{{Text: "later", Seq: 1, Total: 1}}}}}
	if err := st.Enqueue(ctx, m); err != nil {
		t.Fatal(err)
	}
	g.Kick()

	// Opted out after queueing: cancelled at its turn, a second later.
	id, err := g.SendCampaign(ctx, "api", "", []string{"+14155550301", "+14155550302"}, "sale", campaign.Pace{Rate: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.OptOut(ctx, "+14155550302", now); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := st.Campaign(id)
		if err != nil {
			t.Fatal(err)
		}
		if c.Parts[store.PartCancelled] == 1 && c.Parts[store.PartSubmitted] == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("campaign parts %v", c.Parts)
		}
		time.Sleep(20 * time.Millisecond)
	}
	got, err := st.Message(id)
	if err != nil {
		t.Fatal(err)
	}
	if p := got.Recipients[1].Parts[0]; p.Error != OptedOutReason {
		t.Errorf("opted-out part: %+v", p)
	}
	held, err := st.Message("closedwindow0001")
	if err != nil {
		t.Fatal(err)
	}
	p := held.Recipients[0].Parts[0]
	want := closed.Next(now, time.UTC)
	if p.State != store.PartQueued || p.Attempts != 0 || !p.NextAttempt.Equal(want) || !strings.Contains(p.Error, "window") {
		t.Errorf("part outside its window: %+v, want queued until %v", p, want)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for _, s := range tr.sent {
		if s.To == "+14155550300" || s.To == "+14155550302" {
			t.Errorf("sent to %s", s.To)
		}
	}
}
