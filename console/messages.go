package console

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/api"
	"github.com/smsbridge/smsbridge/store"
)

const (
	messagesPerPage = 50
	// searchCalls bounds the store pages one search reads while filters the
	// store does not apply (sender, until) leave few matches.
	searchCalls = 10
)

var partStates = []string{"queued", "submitting", "submitted", "delivered", "failed", "expired", "cancelled"}

// search is the messages form, as given.
type search struct {
	Number, Sender, State, Since, Until, Before string
}

type messagesPage struct {
	base
	Search   search
	States   []string
	Error    string
	Messages []api.SummaryView
	Next     template.URL // the next page, "" for none
}

// timeLayouts are what the since and until fields take besides durations.
var timeLayouts = []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"}

// parseWhen reads a time (UTC unless it says otherwise) or a duration back
// from now.
func parseWhen(s string, now time.Time) (time.Time, bool) {
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), true
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// query turns the form into the store's query and the filters the console
// applies itself.
func (c *Console) query(f search) (q store.ListQuery, until time.Time, msg string) {
	var err error
	now := c.opt.Now()
	q.Limit, q.Before = messagesPerPage, f.Before
	if f.Number != "" {
		if q.To, err = c.opt.Gateway.NormalizeNumber(f.Number); err != nil {
			return q, until, err.Error()
		}
	}
	if f.State != "" {
		if q.State, err = store.ParsePartState(f.State); err != nil {
			return q, until, "state must be one of " + strings.Join(partStates, ", ")
		}
	}
	var ok bool
	if f.Since != "" {
		if q.Since, ok = parseWhen(f.Since, now); !ok {
			return q, until, "since must be a time such as 2025-03-01 12:00 (UTC) or a duration back from now such as 90m"
		}
	}
	if f.Until != "" {
		if until, ok = parseWhen(f.Until, now); !ok {
			return q, until, "until must be a time such as 2025-03-01 12:00 (UTC) or a duration back from now such as 90m"
		}
	}
	return q, until, ""
}

func (c *Console) messages(w http.ResponseWriter, r *http.Request, v viewer) {
	in := r.URL.Query()
	f := search{Number: strings.TrimSpace(in.Get("number")), Sender: strings.TrimSpace(in.Get("sender")),
		State: in.Get("state"), Since: strings.TrimSpace(in.Get("since")), Until: strings.TrimSpace(in.Get("until")),
		Before: in.Get("before")}
	p := messagesPage{base: base{v, "Messages", "messages"}, Search: f, States: partStates}
	q, until, msg := c.query(f)
	if msg != "" {
		p.Error = msg
		c.render(w, http.StatusBadRequest, "messages", p)
		return
	}
	sender := strings.ToLower(f.Sender)
	for range searchCalls {
		list, next, err := c.opt.Store.List(q)
		if err != nil {
			c.failStore(w, v, err)
			return
		}
		for _, s := range list {
			if (sender == "" || strings.Contains(strings.ToLower(s.Sender), sender)) &&
				(until.IsZero() || !s.Received.After(until)) && len(p.Messages) < messagesPerPage {
				p.Messages = append(p.Messages, api.ViewSummary(s))
				q.Before = s.ID
			}
		}
		if len(p.Messages) == messagesPerPage {
			break
		}
		if q.Before = next; next == "" {
			break
		}
	}
	if q.Before != "" && q.Before != f.Before {
		nq := url.Values{}
		for k, val := range map[string]string{"number": f.Number, "sender": f.Sender, "state": f.State,
			"since": f.Since, "until": f.Until, "before": q.Before} {
			if val != "" {
				nq.Set(k, val)
			}
		}
		p.Next = template.URL(Prefix + "messages?" + nq.Encode())
	}
	c.render(w, http.StatusOK, "messages", p)
}

type messagePage struct {
	base
	M          api.MessageView
	Header     string // the original mail's header block
	Queued     bool   // something to cancel
	Retryable  bool   // something to hurry or send again
	Notice     string
	Recipients []recipientText
}

// recipientText is what one recipient was sent, whole.
type recipientText struct {
	Number string
	Text   string
}

func (c *Console) message(w http.ResponseWriter, r *http.Request, v viewer) {
	c.showMessage(w, v, r.PathValue("id"), r.URL.Query().Get("notice"))
}

func (c *Console) showMessage(w http.ResponseWriter, v viewer, id, notice string) {
	m, err := c.opt.Store.Message(id)
	if errors.Is(err, store.ErrNotFound) {
		c.fail(w, v, http.StatusNotFound, "No message "+id+" is in the store: it was never there, or was purged after the retention time.")
		return
	}
	if err != nil {
		c.failStore(w, v, err)
		return
	}
	p := messagePage{base: base{v, "Message " + m.ID, "messages"}, M: api.ViewMessage(m), Header: string(m.Header), Notice: notices[notice]}
	for _, rcpt := range m.Recipients {
		var text strings.Builder
		for _, part := range rcpt.Parts {
			p.Queued = p.Queued || part.State == store.PartQueued
			// RetryMessage sends failed and expired parts again too.
			p.Retryable = p.Retryable || part.State == store.PartQueued || part.State == store.PartFailed || part.State == store.PartExpired
			text.WriteString(part.Text)
		}
		p.Recipients = append(p.Recipients, recipientText{Number: rcpt.Number, Text: text.String()})
	}
	c.render(w, http.StatusOK, "message", p)
}

// notices of the retry and cancel buttons, shown on the message's page.
var notices = map[string]string{
	"retried":   "The queued parts are due now; failed and expired ones are sent again.",
	"cancelled": "The parts still waiting were cancelled.",
	"nothing":   "Nothing of this message is waiting in the queue.",
}

func (c *Console) retry(w http.ResponseWriter, r *http.Request, v viewer) {
	c.operate(w, r, v, "retried", c.opt.Gateway.RetryMessage)
}

func (c *Console) cancel(w http.ResponseWriter, r *http.Request, v viewer) {
	c.operate(w, r, v, "cancelled", c.opt.Gateway.CancelMessage)
}

// operate runs a retry or cancel and sends the browser back to the message.
func (c *Console) operate(w http.ResponseWriter, r *http.Request, v viewer, done string,
	op func(ctx context.Context, id string) (int, error)) {
	id := r.PathValue("id")
	n, err := op(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		c.fail(w, v, http.StatusNotFound, "No message "+id+" is in the store.")
		return
	case err != nil:
		c.failStore(w, v, err)
		return
	}
	c.log.Info("console: message "+done, "msg_id", id, "parts", n, "who", v.Who())
	if n == 0 {
		done = "nothing"
	}
	http.Redirect(w, r, Prefix+"messages/"+url.PathEscape(id)+"?notice="+done, http.StatusSeeOther)
}
