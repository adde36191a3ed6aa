package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"unicode/utf8"

	"github.com/smsbridge/smsbridge/api"
	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/priority"
)

type sendPage struct {
	base
	To, Text, From, Priority string
	Priorities               []string
	Error                    string
	Count                    countView
}

// priorities are the classes the form offers, the default first.
var priorities = []string{priority.Normal.String(), priority.Urgent.String(), priority.Bulk.String()}

// countView is what the counter shows: /count answers it as JSON, the
// send page draws it when the form comes back.
type countView struct {
	Chars    int    `json:"chars"`
	Encoding string `json:"encoding,omitempty"`
	Parts    int    `json:"parts"`
	Cut      bool   `json:"cut,omitempty"` // too long: cut to the parts allowed
	Error    string `json:"error,omitempty"`
}

func (c *Console) countText(text string) countView {
	if text == "" {
		return countView{}
	}
	msg, err := c.opt.Gateway.CountText(text)
	if err != nil {
		return countView{Chars: utf8.RuneCountInString(text), Error: err.Error()}
	}
	return countView{Chars: utf8.RuneCountInString(text), Encoding: msg.Encoding.String(), Parts: msg.Segments(), Cut: msg.Truncated}
}

func (c *Console) sendForm(w http.ResponseWriter, r *http.Request, v viewer) {
	to := r.URL.Query().Get("to")
	c.render(w, http.StatusOK, "send", sendPage{base: base{v, "Send", "send"}, To: to, Priorities: priorities})
}

// count answers the counter of the send page as the user types.
func (c *Console) count(w http.ResponseWriter, r *http.Request, _ viewer) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(c.countText(r.URL.Query().Get("text"))) // the browser went away: nothing to tell it
}

func (c *Console) send(w http.ResponseWriter, r *http.Request, v viewer) {
	f := r.PostForm
	p := sendPage{base: base{v, "Send", "send"}, To: f.Get("to"), Text: f.Get("text"), From: f.Get("from"),
		Priority: f.Get("priority"), Priorities: priorities}
	id, err := c.opt.Access.Send(r.Context(), "console", api.SendRequest{To: splitNumbers(p.To), Text: p.Text, From: p.From, Priority: p.Priority})
	var reqErr *api.RequestError
	switch {
	case err == nil:
		c.log.Info("console: text sent", "msg_id", id, "who", v.Who())
		http.Redirect(w, r, Prefix+"messages/"+url.PathEscape(id), http.StatusSeeOther)
		return
	case errors.As(err, &reqErr), errors.Is(err, bridge.ErrBadRecipient), errors.Is(err, bridge.ErrOptedOut), errors.Is(err, bridge.ErrTextRefused):
		p.Error = err.Error()
	default:
		c.failStore(w, v, err)
		return
	}
	p.Count = c.countText(p.Text)
	c.render(w, http.StatusUnprocessableEntity, "send", p)
}
