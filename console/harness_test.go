package console

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/smsbridge/smsbridge/api"
	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/mailout"
	"github.com/smsbridge/smsbridge/metrics"
	"github.com/smsbridge/smsbridge/smtpd"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport/smpp"
	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

// Credentials of the test gateway.
const (
	fullToken      = "full-token-for-tests"
	readOnlyToken  = "read-only-token-for-tests"
	operatorName   = "ops"
	operatorPass   = "ops password"
	viewerName     = "viewer"
	viewerPass     = "viewer password"
	testRetryFloor = 10 * time.Minute // no retry comes by itself while a test runs
)

// gateway is a whole gateway in this process: the store, the bridge with
// one SMPP transport to a fake SMSC, the metrics, the API and the console
// on one HTTP server, as cmd/smsbridge wires them.
type gateway struct {
	URL      string
	SMSC     *smsctest.Server
	smscAddr string
	GW       *bridge.Gateway
	Store    *store.DB
	Metrics  *metrics.Metrics
	API      *api.Server
	Console  *Console
	mailer   *mails
}

// mails keeps the reports the bridge writes.
type mails struct {
	mu  sync.Mutex
	got []*mailout.Mail
}

func (m *mails) Deliver(_ context.Context, ml *mailout.Mail) error {
	m.mu.Lock()
	m.got = append(m.got, ml)
	m.mu.Unlock()
	return nil
}

func hash(t testing.TB, password string) string {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func startGateway(t testing.TB) *gateway {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	smsc, err := smsctest.Start(smsctest.Options{ReceiptDelay: 50 * time.Millisecond, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = smsc.Close() })
	dir := t.TempDir()
	src := fmt.Sprintf(`
[smtp]
domains = ["sms.example.com"]
[[smtp.users]]
name = %q
password_hash = %q
[[smtp.users]]
name = %q
password_hash = %q
[sms]
default_region = "GB"
encoding = "auto"
max_parts = 4
[store]
path = %q
[http]
tokens = [%q]
read_only_tokens = [%q]
operators = [%q]
[[transports]]
name = "smsc"
type = "smpp"
address = %q
system_id = "console"
password = "secret"
enquire_link = "1s"
response_timeout = "2s"
`, operatorName, hash(t, operatorPass), viewerName, hash(t, viewerPass), filepath.Join(dir, "smsbridge.db"),
		fullToken, readOnlyToken, operatorName, smsc.Addr())
	cfg, err := configs.Parse([]byte(src), "console-test.toml")
	if err != nil {
		t.Fatal(err)
	}
	bcfg, err := bridge.ConfigFrom(cfg)
	if err != nil {
		t.Fatal(err)
	}
	bcfg.RetryFloor, bcfg.RetryCeiling = testRetryFloor, 2*testRetryFloor
	st, err := store.Open(cfg.Store.Path, store.Options{Timeout: 5 * time.Second, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	tc := cfg.Transports[0]
	tr, err := smpp.New(smpp.Config{Name: tc.Name, Address: tc.Address, SystemID: tc.SystemID, Password: tc.Password,
		EnquireLink: tc.EnquireLink.Duration, ResponseTimeout: tc.ResponseTimeout.Duration, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	ml := &mails{}
	gw, err := bridge.New(bcfg, bridge.Options{Store: st, Lanes: []bridge.Lane{{Transport: tr, Slots: 10}},
		Mailer: ml, Logger: log, Observer: m})
	if err != nil {
		t.Fatal(err)
	}
	m.Attach(metrics.Sources{Transports: gw.Transports, Queue: st, Route: gw.RouteOf})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- gw.Run(ctx, time.Second) }()
	t.Cleanup(func() { stop(); <-done })

	srv, err := api.New(api.Options{Gateway: gw, Queue: st, Tokens: cfg.HTTP.Tokens, ReadOnlyTokens: cfg.HTTP.ReadOnlyTokens,
		Metrics: m.Handler(), Throughput: m.Throughput, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	var users []smtpd.User
	for _, u := range cfg.SMTP.Users {
		users = append(users, smtpd.User{Name: u.Name, PasswordHash: u.PasswordHash})
	}
	con, err := New(Options{Access: srv, Gateway: gw, Store: st, History: m.History, Throughput: m.Throughput,
		Users: users, Operators: cfg.HTTP.Operators, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv.Handle(Prefix, con)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	g := &gateway{URL: hs.URL, SMSC: smsc, smscAddr: smsc.Addr(), GW: gw, Store: st, Metrics: m, API: srv, Console: con, mailer: ml}
	g.waitUp(t, true)
	return g
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// waitUp waits until the transport is up (or down).
func (g *gateway) waitUp(t testing.TB, up bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if g.GW.Transports()[0].Up == up {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the transport did not become up=%v", up)
}

// restartSMSC starts the fake SMSC again on its old address.
func (g *gateway) restartSMSC(t testing.TB) {
	t.Helper()
	var err error
	for range 50 { // the port may linger a moment after Close
		if g.SMSC, err = smsctest.Start(smsctest.Options{Addr: g.smscAddr, ReceiptDelay: 50 * time.Millisecond}); err == nil {
			smsc := g.SMSC
			t.Cleanup(func() { _ = smsc.Close() })
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal(err)
}

// waitMessage waits until message id's state is want.
func (g *gateway) waitMessage(t testing.TB, id, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	state := ""
	for time.Now().Before(deadline) {
		m, err := g.Store.Message(id)
		if err != nil {
			t.Fatal(err)
		}
		if state = api.ViewMessage(m).State; state == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("message %s is %s, not %s", id, state, want)
}

// client is a browser without JavaScript: cookies kept, redirects not
// followed, so each answer can be looked at.
type client struct {
	t    testing.TB
	base string
	http *http.Client
}

func (g *gateway) client(t testing.TB) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: g.URL, http: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(method, path string, form url.Values, header ...string) (*http.Response, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp, html.UnescapeString(string(b)) // html/template writes + as &#43;
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the CSRF token of the first form of page path.
func (c *client) csrf(path string) string {
	c.t.Helper()
	resp, body := c.do("GET", path, nil)
	m := csrfField.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		c.t.Fatalf("GET %s: %d, no CSRF token in\n%s", path, resp.StatusCode, body)
	}
	return m[1]
}

// login logs in with a token (user "") or a user's password.
func (c *client) login(user, secret string) *http.Response {
	c.t.Helper()
	token := c.csrf(Prefix + "login")
	resp, _ := c.do("POST", Prefix+"login", url.Values{"csrf": {token}, "user": {user}, "password": {secret}})
	return resp
}

// send queues a text through the API, as a client program would.
func (g *gateway) send(t testing.TB, to, text, from string) string {
	t.Helper()
	id, err := g.API.Send(context.Background(), "api", api.SendRequest{To: []string{to}, Text: text, From: from})
	if err != nil {
		t.Fatal(err)
	}
	return id
}
