package bridge

import (
	"context"
	"errors"
	"fmt"
	"time"

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
	return g.send(ctx, source, from, numbers, text, Followed{}, nil)
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
}

// watchStore is what SendFollowed needs beyond Store.
type watchStore interface {
	EnqueueWatched(ctx context.Context, m *store.Message, w store.Watch) error
}

// SendFollowed is SendText for an integration that tells its own client of
// progress (Kannel's dlr-url, an SMPP ESME's receipts): nobody is mailed,
// and f's watch, when it names an Owner, is stored in the same commit as
// the message.
func (g *Gateway) SendFollowed(ctx context.Context, source string, numbers []string, text string, f Followed) (string, error) {
	if f.Owner == "" {
		return g.send(ctx, source, "", numbers, text, f, nil)
	}
	if _, ok := g.st.(watchStore); !ok {
		return "", ErrUnsupported
	}
	return g.send(ctx, source, "", numbers, text, f, &store.Watch{Owner: f.Owner, Data: f.Data})
}

func (g *Gateway) send(ctx context.Context, source, from string, numbers []string, text string, f Followed, w *store.Watch) (string, error) {
	opt := g.conf().SMS
	if f.UCS2 {
		opt.Mode = sms.ModeUCS2
	}
	msg, err := sms.Build(text, opt)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrTextRefused, err)
	}
	now := g.now()
	m := &store.Message{ID: store.NewID(), Received: now, Sender: from}
	validity := f.Validity
	if v := g.conf().Validity; v > 0 && (validity <= 0 || v < validity) {
		validity = v
	}
	if validity > 0 {
		m.Expires = now.Add(validity)
	}
	for _, n := range numbers {
		m.Recipients = append(m.Recipients, store.Recipient{
			Address: n, Number: n, Notify: g.notify(nil), Reported: from == "", Parts: g.parts(msg),
		})
	}
	if w != nil {
		err = g.st.(watchStore).EnqueueWatched(ctx, m, *w)
	} else {
		err = g.st.Enqueue(ctx, m)
	}
	if err != nil {
		return "", err
	}
	g.obs.MessageQueued(source, len(m.Recipients), len(m.Recipients)*len(msg.Parts))
	g.log.Info("text queued", "source", source, "msg_id", m.ID, "recipients", len(numbers), "parts", len(msg.Parts), "encoding", msg.Encoding.String())
	g.dispatch.kick()
	return m.ID, nil
}
