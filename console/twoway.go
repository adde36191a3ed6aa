package console

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/api"
	"github.com/smsbridge/smsbridge/store"
)

const numbersPerPage = 50

type conversationsPage struct {
	base
	Prefix        string
	Conversations []store.NumberConversation
	Next          template.URL
}

func (c *Console) conversations(w http.ResponseWriter, r *http.Request, v viewer) {
	in := r.URL.Query()
	p := conversationsPage{base: base{v, "Conversations", "conversations"}, Prefix: strings.TrimSpace(in.Get("number"))}
	list, next, err := c.opt.Store.Conversations(p.Prefix, in.Get("after"), numbersPerPage)
	if err != nil {
		c.failStore(w, v, err)
		return
	}
	p.Conversations = list
	if next != "" {
		p.Next = template.URL(Prefix + "conversations?" + url.Values{"number": {p.Prefix}, "after": {next}}.Encode())
	}
	c.render(w, http.StatusOK, "conversations", p)
}

type threadPage struct {
	base
	Number       string
	Conversation store.Conversation
	Known        bool // a conversation is stored
	OptedOut     bool
	Since        time.Time
	Messages     []api.SummaryView
}

// thread is one number: where its replies go, whether it opted out, and
// the messages sent to it, newest first.
func (c *Console) thread(w http.ResponseWriter, r *http.Request, v viewer) {
	number, err := c.opt.Gateway.NormalizeNumber(r.PathValue("number"))
	if err != nil {
		c.fail(w, v, http.StatusNotFound, err.Error())
		return
	}
	p := threadPage{base: base{v, "Conversation with " + number, "conversations"}, Number: number}
	if p.Conversation, p.Known, err = c.opt.Store.Conversation(number); err != nil {
		c.failStore(w, v, err)
		return
	}
	if p.OptedOut, p.Since, err = c.opt.Store.OptedOut(number); err != nil {
		c.failStore(w, v, err)
		return
	}
	list, _, err := c.opt.Store.List(store.ListQuery{To: number, Limit: messagesPerPage})
	if err != nil {
		c.failStore(w, v, err)
		return
	}
	for _, s := range list {
		p.Messages = append(p.Messages, api.ViewSummary(s))
	}
	c.render(w, http.StatusOK, "thread", p)
}

type optOutsPage struct {
	base
	Prefix  string
	OptOuts []store.OptOutEntry
	Next    template.URL
	Error   string
	Number  string // as typed into the add form
}

func (c *Console) optOuts(w http.ResponseWriter, r *http.Request, v viewer) {
	in := r.URL.Query()
	c.showOptOuts(w, v, http.StatusOK, optOutsPage{Prefix: strings.TrimSpace(in.Get("number"))}, in.Get("after"))
}

func (c *Console) showOptOuts(w http.ResponseWriter, v viewer, status int, p optOutsPage, after string) {
	p.base = base{v, "Opt-outs", "optouts"}
	list, next, err := c.opt.Store.OptOuts(p.Prefix, after, numbersPerPage)
	if err != nil {
		c.failStore(w, v, err)
		return
	}
	p.OptOuts = list
	if next != "" {
		p.Next = template.URL(Prefix + "optouts?" + url.Values{"number": {p.Prefix}, "after": {next}}.Encode())
	}
	c.render(w, status, "optouts", p)
}

func (c *Console) addOptOut(w http.ResponseWriter, r *http.Request, v viewer) {
	typed := strings.TrimSpace(r.PostForm.Get("number"))
	number, err := c.opt.Gateway.NormalizeNumber(typed)
	if err != nil {
		c.showOptOuts(w, v, http.StatusUnprocessableEntity, optOutsPage{Error: err.Error(), Number: typed}, "")
		return
	}
	if err := c.opt.Store.OptOut(r.Context(), number, c.opt.Now()); err != nil {
		c.failStore(w, v, err)
		return
	}
	c.log.Info("console: number opted out", "number", number, "who", v.Who())
	c.back(w, r, Prefix+"optouts")
}

func (c *Console) removeOptOut(w http.ResponseWriter, r *http.Request, v viewer) {
	number := r.PostForm.Get("number")
	err := c.opt.Store.OptIn(r.Context(), number)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		c.failStore(w, v, err)
		return
	}
	c.log.Info("console: number opted in again", "number", number, "who", v.Who())
	c.back(w, r, Prefix+"optouts")
}

// back sends the browser to the page the form named (a console page), else
// to fallback.
func (c *Console) back(w http.ResponseWriter, r *http.Request, fallback string) {
	to := r.PostForm.Get("back")
	if !strings.HasPrefix(to, Prefix) || strings.HasPrefix(to, "//") || strings.ContainsAny(to, "\\\r\n") {
		to = fallback
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
