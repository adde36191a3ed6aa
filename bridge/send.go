package bridge

import (
	"context"
	"errors"
	"fmt"
	"time"

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

// Followed says how an integration follows a text it hands to SendFollowed.
type Followed struct {
	// Owner and Data become the message's store.Watch, stored with it.
	Owner string
	Data  []byte
	// Validity, when positive, ends the message's life sooner than the
	// configured validity.
	Validity time.Duration
	// UCS2 sends the text in UCS-2, kept as written, whatever the
	// configured encoding (the client asked for it).
	UCS2 bool
	// Class is the class the client asked for; [priority] rules apply.
	Class priority.Class
	// Source is the SMS source address, when the client chose one (and
	// may); "" leaves it to the route or the transport.
	Source string
	// User, when the policy is a UserPolicy, is charged the message's SMS
	// parts (parts × numbers) before it is stored.
	User string
	// Enqueue, when set, stores the message and its watch instead of the
	// store (the last segment of a concatenated submit closes its set in
	// the same commit).
	Enqueue func(ctx context.Context, m *store.Message, w store.Watch) error
}

// UserPolicy is a Policy that also limits the users of integrations, who
// send without an envelope sender (*policy.Policy has it).
type UserPolicy interface {
	ChargeUserParts(ctx context.Context, user string, parts int) error
	RefundUserParts(user string, parts int)
}

// WatchStore is what SendFollowed needs beyond Store: a message stored
// with the watch an integration follows it by (*store.DB has it).
type WatchStore interface {
	EnqueueWatched(ctx context.Context, m *store.Message, w store.Watch) error
}

// ErrNoWatches: SendFollowed asked for a watch of a store without them.
var ErrNoWatches = errors.New("this store cannot keep watches")

// SendFollowed is SendText for an integration that tells its own client of
// progress (Kannel's dlr-url, an SMPP ESME's receipts): nobody is mailed,
// and f's watch, when it names an Owner, is stored in the same commit as
// the message.
func (g *Gateway) SendFollowed(ctx context.Context, source string, numbers []string, text string, f Followed) (string, error) {
	if _, ok := g.st.(WatchStore); !ok && f.Owner != "" && f.Enqueue == nil {
		return "", ErrNoWatches
	}
	return g.queueFollowed(ctx, source, "", numbers, text, g.textClass(f.Class, ""), nil, f)
}

// queueText stores a text of class; with pace it is a campaign, else one
// when [campaigns] makes it one.
func (g *Gateway) queueText(ctx context.Context, source, from string, numbers []string, text string, class priority.Class, pace *campaign.Pace) (string, error) {
	return g.queueFollowed(ctx, source, from, numbers, text, class, pace, Followed{})
}

// queueFollowed is queueText with what f asks for.
func (g *Gateway) queueFollowed(ctx context.Context, source, from string, numbers []string, text string, class priority.Class, pace *campaign.Pace, f Followed) (string, error) {
	opt := g.conf().SMS
	if f.UCS2 {
		opt.Mode = sms.ModeUCS2
	}
	msg, err := sms.Build(text, opt)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrTextRefused, err)
	}
	now := g.now()
	m := &store.Message{ID: store.NewID(), Received: now, Sender: from, Class: class, Source: f.Source}
	m.Expires = g.expiry(now)
	if f.Validity > 0 && (m.Expires.IsZero() || now.Add(f.Validity).Before(m.Expires)) {
		m.Expires = now.Add(f.Validity)
	}
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
	parts := len(m.Recipients) * len(msg.Parts)
	up, charged := g.pol.(UserPolicy)
	charged = charged && f.User != ""
	if charged {
		if err := up.ChargeUserParts(ctx, f.User, parts); err != nil {
			return "", err
		}
	}
	switch {
	case f.Enqueue != nil:
		err = f.Enqueue(ctx, m, store.Watch{Owner: f.Owner, Data: f.Data})
	case f.Owner != "":
		err = g.st.(WatchStore).EnqueueWatched(ctx, m, store.Watch{Owner: f.Owner, Data: f.Data})
	default:
		err = g.st.Enqueue(ctx, m)
	}
	if err != nil {
		if charged {
			up.RefundUserParts(f.User, parts)
		}
		return "", err
	}
	g.obs.MessageQueued(source, len(m.Recipients), len(m.Recipients)*len(msg.Parts))
	g.log.Info("text queued", "source", source, "msg_id", m.ID, "recipients", len(numbers), "parts", len(msg.Parts), "encoding", msg.Encoding.String(), "class", m.Class.String())
	g.dispatch.kick()
	return m.ID, nil
}
