package bridge

import (
	"context"
	"errors"
	"fmt"

	"github.com/smsbridge/smsbridge/campaign"
	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/store"
)

// ErrTextRefused wraps why a text cannot become SMS (empty, too long).
var ErrTextRefused = errors.New("text refused")

// SendText queues text as SMS to numbers (E.164) without a mail: keyword
// answers, `smsbridge send`, the HTTP API (source names which, for metrics
// and logs). from is who is told about delivery ("" for nobody). The same
// conversion rules as for mail apply.
func (g *Gateway) SendText(ctx context.Context, source, from string, numbers []string, text string) (string, error) {
	return g.SendClassText(ctx, source, from, numbers, text, priority.Normal)
}

// SendClassText is SendText for a text that asks for a class; the sender
// rules of [priority] apply to it as to mail.
func (g *Gateway) SendClassText(ctx context.Context, source, from string, numbers []string, text string, asked priority.Class) (string, error) {
	return g.queueText(ctx, source, from, numbers, text, g.textClass(asked, from), nil)
}

// queueText stores a text of class; with pace it is a campaign, else one
// when [campaigns] makes it one.
func (g *Gateway) queueText(ctx context.Context, source, from string, numbers []string, text string, class priority.Class, pace *campaign.Pace) (string, error) {
	msg, err := sms.Build(text, g.conf().SMS)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrTextRefused, err)
	}
	now := g.now()
	m := &store.Message{ID: store.NewID(), Received: now, Sender: from, Class: class}
	m.Expires = g.expiry(now)
	for _, n := range numbers {
		m.Recipients = append(m.Recipients, store.Recipient{
			Address: n, Number: n, Notify: g.notify(nil), Reported: from == "", Parts: g.parts(msg),
		})
	}
	if pace != nil {
		g.planCampaign(m, *pace)
	} else {
		g.asCampaign(m)
	}
	if err := g.st.Enqueue(ctx, m); err != nil {
		return "", err
	}
	g.obs.MessageQueued(source, len(m.Recipients), len(m.Recipients)*len(msg.Parts))
	g.log.Info("text queued", "source", source, "msg_id", m.ID, "recipients", len(numbers), "parts", len(msg.Parts), "encoding", msg.Encoding.String(), "class", m.Class.String())
	g.dispatch.kick()
	return m.ID, nil
}
