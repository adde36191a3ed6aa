package bridge

import (
	"context"
	"fmt"
	"time"

	"github.com/smsbridge/smsbridge/campaign"
	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/store"
)

// Campaigns says which messages become campaigns and how they are paced
// unless the API names a pace of its own.
type Campaigns struct {
	// MinRecipients: a bulk message to at least this many numbers is a
	// campaign; 0 makes none by itself.
	MinRecipients int
	Pace          campaign.Pace
}

// OptedOutReason is the status text of a campaign part whose number
// replied STOP after the campaign was queued.
const OptedOutReason = "the number opted out (replied STOP) before its turn in the campaign"

// asCampaign makes m, already of its final class, a campaign when the
// configuration says so.
func (g *Gateway) asCampaign(m *store.Message) {
	c := g.conf().Campaigns
	if m.Class == priority.Bulk && c.MinRecipients > 0 && len(m.Recipients) >= c.MinRecipients {
		g.planCampaign(m, c.Pace)
	}
}

// planCampaign makes m a campaign with pace p: each part is first due when
// the pace and its recipient's window let it go.
func (g *Gateway) planCampaign(m *store.Message, p campaign.Pace) {
	m.Campaign = &p
	if !p.Paced() {
		return
	}
	pl := campaign.NewPlanner(p, m.Received)
	for i := range m.Recipients {
		r := &m.Recipients[i]
		for j := range r.Parts {
			r.Parts[j].NextAttempt = pl.Due(r.Number)
		}
	}
}

// SendCampaign queues text as one bulk campaign with pace p to the
// numbers to names (as ResolveNumbers reads them). Numbers that replied
// STOP are left out, not refused: ErrOptedOut only when none is left.
func (g *Gateway) SendCampaign(ctx context.Context, source, from string, to []string, text string, p campaign.Pace) (string, error) {
	var numbers []string
	seen := map[string]bool{}
	for _, entry := range to {
		ns, err := g.resolveEntry(entry)
		if err != nil {
			return "", err
		}
		for _, n := range ns {
			if !seen[n] {
				seen[n] = true
				numbers = append(numbers, n)
			}
		}
	}
	kept, _, err := g.optedIn(numbers)
	if err != nil {
		return "", fmt.Errorf("checking opt-outs: %w", err)
	}
	if len(kept) == 0 {
		return "", fmt.Errorf("%w: every number of the campaign replied STOP to this gateway", ErrOptedOut)
	}
	return g.queueText(ctx, source, from, kept, text, priority.Bulk, &p)
}

// campaignHold keeps a paced campaign's part from being sent now: when
// its number opted out since the campaign was queued (the part is
// cancelled) or its window is closed (it waits for the window, attempts
// uncounted). It reports whether the part was held.
func (d *dispatcher) campaignHold(ctx context.Context, dp store.DuePart, now time.Time) bool {
	p := dp.Campaign
	if p == nil || !p.Paced() {
		return false // sent as soon as queued, like any message: opt-outs were checked then
	}
	if out, _, err := d.g.st.OptedOut(dp.Number); err == nil && out {
		d.finish(ctx, dp.Key, store.PartCancelled, OptedOutReason)
		return true
	}
	if p.Window.AllDay() {
		return false
	}
	loc := p.Location(dp.Number)
	if p.Window.Open(now, loc) {
		return false
	}
	next := p.Window.Next(now, loc)
	if !dp.Expires.IsZero() && next.After(dp.Expires) {
		d.finish(ctx, dp.Key, store.PartExpired, "validity period ended before the campaign's window opened")
		return true
	}
	if err := d.g.st.Retry(context.WithoutCancel(ctx), dp.Key, next, "waiting for the campaign's window "+p.Window.String(), now); err != nil {
		d.g.log.Error("holding a campaign part for its window", "part", dp.Key.String(), "err", err)
	}
	return true
}
