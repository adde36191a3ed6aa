package console

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"
)

func (c *Console) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET "+Prefix+"login", c.loginForm)
	m.HandleFunc("POST "+Prefix+"login", c.login)
	m.HandleFunc("POST "+Prefix+"logout", c.logout)
	m.Handle("GET "+Prefix+"static/", c.static)
	m.Handle("GET "+Prefix+"{$}", c.read(c.overview))
	m.Handle("GET "+Prefix+"messages", c.read(c.messages))
	m.Handle("GET "+Prefix+"messages/{id}", c.read(c.message))
	m.Handle("POST "+Prefix+"messages/{id}/retry", c.write(c.retry))
	m.Handle("POST "+Prefix+"messages/{id}/cancel", c.write(c.cancel))
	m.Handle("GET "+Prefix+"send", c.read(c.sendForm))
	m.Handle("POST "+Prefix+"send", c.write(c.send))
	m.Handle("GET "+Prefix+"count", c.read(c.count))
	m.Handle("GET "+Prefix+"conversations", c.read(c.conversations))
	m.Handle("GET "+Prefix+"conversations/{number}", c.read(c.thread))
	m.Handle("GET "+Prefix+"optouts", c.read(c.optOuts))
	m.Handle("POST "+Prefix+"optouts", c.write(c.addOptOut))
	m.Handle("POST "+Prefix+"optouts/remove", c.write(c.removeOptOut))
	c.mux = m
}

// pageNames are the templates, each drawn inside layout.html except login.
var pageNames = []string{"login", "overview", "messages", "message", "send", "conversations", "thread", "optouts", "error"}

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"whenp": func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"age":    age,
	"prefix": func() string { return Prefix },
}

func parsePages() (map[string]*template.Template, error) {
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// render draws page name with data; a template that fails is a bug, told
// to the operator as a plain error rather than half a page.
func (c *Console) render(w http.ResponseWriter, status int, name string, data any) {
	entry := "page" // the layout, around the page's "content"
	if name == "login" {
		entry = "login" // a page of its own, without the menu
	}
	var buf bytes.Buffer
	if err := c.pages[name].ExecuteTemplate(&buf, entry, data); err != nil {
		c.log.Error("console page failed", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w) // the browser went away: nothing left to tell it
}

// base is what every page inside the layout has.
type base struct {
	viewer
	Title string
	Nav   string // the menu entry to mark
}

type errorPage struct {
	base
	Message string
}

func (c *Console) fail(w http.ResponseWriter, v viewer, status int, msg string) {
	c.render(w, status, "error", errorPage{base{v, "Error", ""}, msg})
}

// failStore tells the viewer the store did not answer and logs why.
func (c *Console) failStore(w http.ResponseWriter, v viewer, err error) {
	c.log.Error("console: store", "err", err)
	c.fail(w, v, http.StatusServiceUnavailable, "The queue did not answer; try again in a moment.")
}

func age(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
}

func percent(n, of int) int {
	if of <= 0 {
		return 0
	}
	return min(100, n*100/of)
}

// splitNumbers reads the numbers of a form field: one per line or
// separated by commas or semicolons.
func splitNumbers(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == '\r' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
