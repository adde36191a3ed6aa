// Package console is smsbridge's web console for operators, served beside
// the HTTP API under /console/: an overview of the transports, the queue
// and the traffic; messages to search, retry and cancel; a form to send an
// SMS; conversations and the opt-out list. It logs in with the API's
// tokens or SMTP users' passwords and keeps a session in a cookie; a
// read-only login sees everything and changes nothing.
//
// Pages are html/template with plain CSS and server-drawn SVG charts; they
// work without JavaScript. One small script (static/count.js) counts the
// characters, encoding and parts of an SMS as it is typed.
package console

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/smsbridge/smsbridge/api"
	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/metrics"
	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/smtpd"
	"github.com/smsbridge/smsbridge/store"
)

// Prefix is where the console is served.
const Prefix = "/console/"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Access is what the console asks of the API server (*api.Server): who may
// do what, and sending under the API's rules.
type Access interface {
	TokenAccess(token string) api.Access
	ClientAccess(remoteAddr string) api.Access
	Send(ctx context.Context, source string, req api.SendRequest) (string, error)
}

// Gateway is what the console asks of the bridge (*bridge.Gateway).
type Gateway interface {
	CancelMessage(ctx context.Context, id string) (int, error)
	RetryMessage(ctx context.Context, id string) (int, error)
	Transports() []bridge.TransportStatus
	NormalizeNumber(s string) (string, error)
	CountText(text string) (sms.Message, error)
	RouteOf(number string) string
}

// Store is what the console reads and changes of the store (*store.DB).
type Store interface {
	Message(id string) (*store.Message, error)
	List(q store.ListQuery) ([]store.Summary, string, error)
	Queued(limit int, fn func(store.QueuedPart)) (complete bool, err error)
	Conversations(prefix, after string, limit int) ([]store.NumberConversation, string, error)
	Conversation(number string) (store.Conversation, bool, error)
	OptOuts(prefix, after string, limit int) ([]store.OptOutEntry, string, error)
	OptedOut(number string) (bool, time.Time, error)
	OptOut(ctx context.Context, number string, at time.Time) error
	OptIn(ctx context.Context, number string) error
}

// Options configure a Console. Access, Gateway and Store are required.
type Options struct {
	Access  Access
	Gateway Gateway
	Store   Store
	// History is the traffic minute by minute ((*metrics.Metrics).History);
	// Throughput a transport's submits per second. Either may be nil.
	History    func(minutes int) []metrics.Minute
	Throughput func(transport string) float64
	// Users may log in with their SMTP password; Operators (user names)
	// may change things, the others only look.
	Users     []smtpd.User
	Operators []string
	Logger    *slog.Logger
	Now       func() time.Time // time.Now when nil
}

// Console serves the pages. It is safe for concurrent use; Reload may be
// called while it serves.
type Console struct {
	opt      Options
	log      *slog.Logger
	pages    map[string]*template.Template
	static   http.Handler
	mux      *http.ServeMux
	sessions *sessions
	throttle *smtpd.LoginThrottle
	users    atomic.Pointer[userSet]
}

// userSet is who may log in with a password, swapped whole by Reload.
type userSet struct {
	passwords *smtpd.Passwords
	known     map[string]bool
	operators map[string]bool
}

func newUserSet(users []smtpd.User, operators []string) *userSet {
	u := &userSet{passwords: smtpd.NewPasswords(users), known: map[string]bool{}, operators: map[string]bool{}}
	for _, x := range users {
		u.known[x.Name] = true
	}
	for _, name := range operators {
		u.operators[name] = true
	}
	return u
}

// New checks opt and parses the templates.
func New(opt Options) (*Console, error) {
	if opt.Access == nil || opt.Gateway == nil || opt.Store == nil {
		return nil, errors.New("console: access, a gateway and a store are required")
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	c := &Console{opt: opt, log: opt.Logger.With("component", "console"), pages: pages,
		static: http.StripPrefix(Prefix+"static/", http.FileServerFS(static)), sessions: newSessions(opt.Now),
		throttle: smtpd.NewLoginThrottle()}
	c.users.Store(newUserSet(opt.Users, opt.Operators))
	c.routes()
	return c, nil
}

// Reload replaces the users who may log in and the operators among them
// (SIGHUP). Sessions of users no longer there end at their next request.
func (c *Console) Reload(users []smtpd.User, operators []string) {
	c.users.Store(newUserSet(users, operators))
}

// ServeHTTP serves everything under Prefix.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	c.mux.ServeHTTP(w, r)
}

// contentSecurityPolicy allows nothing inline and nothing from elsewhere.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
