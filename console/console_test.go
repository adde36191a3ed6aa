package console

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/smtpd"
	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

// pagesOf are the pages a login sees, with what must be on each.
func pagesOf(id, number string) map[string]string {
	return map[string]string{
		Prefix:                             "smsc",
		Prefix + "messages":                id,
		Prefix + "messages/" + id:          "Text as sent",
		Prefix + "send":                    "Send",
		Prefix + "conversations":           number,
		Prefix + "conversations/" + number: "Messages to " + number,
		Prefix + "optouts":                 "Opt-outs",
	}
}

var inlineScript = regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]|<script>|\son[a-z]+=`)

func TestLoginSessionAndPages(t *testing.T) {
	g := startGateway(t)
	id := g.send(t, "07700 900123", "Hello from the console test", "ops@example.com")
	g.waitMessage(t, id, "delivered")
	c := g.client(t)

	resp, _ := c.do("GET", Prefix, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != Prefix+"login" {
		t.Fatalf("without a session: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp = c.login("", fullToken)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != Prefix {
		t.Fatalf("login: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie && ck.Value != "" {
			session = ck
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != Prefix || session.Secure {
		t.Fatalf("session cookie = %+v (plain HTTP: not Secure)", session)
	}
	for path, want := range pagesOf(id, "+447700900123") {
		resp, body := c.do("GET", path, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("GET %s: %d, %q missing", path, resp.StatusCode, want)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("GET %s: CSP %q", path, csp)
		}
		if inlineScript.MatchString(body) {
			t.Errorf("GET %s: inline script: %s", path, inlineScript.FindString(body))
		}
		if n, forms := strings.Count(body, `method="post"`), strings.Count(body, `name="csrf"`); n != forms || n == 0 {
			t.Errorf("GET %s: %d POST forms, %d CSRF fields", path, n, forms)
		}
	}
	_, body := c.do("GET", Prefix+"messages/"+id, nil)
	for _, want := range []string{"+447700900123", "DELIVRD", "Hello from the console test", "smsc"} {
		if !strings.Contains(body, want) {
			t.Errorf("message page lacks %q", want)
		}
	}
	// Log out: the same cookie no longer opens anything.
	token := c.csrf(Prefix)
	resp, _ = c.do("POST", Prefix+"logout", url.Values{"csrf": {token}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	replay := g.client(t)
	req, _ := http.NewRequest("GET", g.URL+Prefix, nil)
	req.AddCookie(session)
	r2, err := replay.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusSeeOther {
		t.Errorf("the old session after logout: %d", r2.StatusCode)
	}
}

func TestLoginRefused(t *testing.T) {
	g := startGateway(t)
	for _, tc := range []struct{ name, user, secret string }{
		{"wrong token", "", "not-a-token"},
		{"wrong password", operatorName, "guess"},
		{"unknown user", "mallory", operatorPass},
		{"a token as a password", operatorName, fullToken},
		{"nothing from a client that is not trusted", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := g.client(t)
			resp := c.login(tc.user, tc.secret)
			// Forget the failure: each case waits only the first delay
			// (TestLoginThrottled checks that they grow).
			g.Console.throttle.Succeed(netip.MustParseAddr("127.0.0.1"))
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("%d", resp.StatusCode)
			}
			if r, _ := c.do("GET", Prefix, nil); r.StatusCode != http.StatusSeeOther {
				t.Errorf("after a refused login: %d", r.StatusCode)
			}
		})
	}
	t.Run("login form without its CSRF token", func(t *testing.T) {
		c := g.client(t)
		c.csrf(Prefix + "login") // the cookie, but not the field
		resp, _ := c.do("POST", Prefix+"login", url.Values{"password": {fullToken}})
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%d", resp.StatusCode)
		}
		if r, _ := c.do("GET", Prefix, nil); r.StatusCode != http.StatusSeeOther {
			t.Errorf("logged in all the same: %d", r.StatusCode)
		}
	})
	t.Run("login form token without its cookie", func(t *testing.T) {
		c := g.client(t)
		token := c.csrf(Prefix + "login")
		c.http.Jar = nil
		resp, _ := c.do("POST", Prefix+"login", url.Values{"csrf": {token}, "password": {fullToken}})
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%d", resp.StatusCode)
		}
	})
}

// TestCSRFRefused: a logged-in operator's browser posting a form that did
// not come from the console changes nothing.
func TestCSRFRefused(t *testing.T) {
	g := startGateway(t)
	c := g.client(t)
	if resp := c.login(operatorName, operatorPass); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	token := c.csrf(Prefix + "send")
	form := func(csrf string) url.Values {
		return url.Values{"csrf": {csrf}, "to": {"+447700900123"}, "text": {"forged"}}
	}
	for _, tc := range []struct {
		name   string
		path   string
		form   url.Values
		header []string
	}{
		{"send without a token", "send", form(""), nil},
		{"send with another token", "send", form(randomToken()), nil},
		{"send from another origin", "send", form(token), []string{"Origin", "http://evil.example"}},
		{"opt-out without a token", "optouts", url.Values{"number": {"+447700900123"}}, nil},
		{"logout without a token", "logout", url.Values{}, nil},
	} {
		resp, _ := c.do("POST", Prefix+tc.path, tc.form, tc.header...)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d", tc.name, resp.StatusCode)
		}
	}
	if n := len(g.SMSC.Submits()); n != 0 {
		t.Errorf("%d submits reached the SMSC", n)
	}
	if out, _, _ := g.Store.OptOuts("", "", 0); len(out) != 0 {
		t.Errorf("opt-outs = %v", out)
	}
	if r, _ := c.do("GET", Prefix, nil); r.StatusCode != http.StatusOK {
		t.Errorf("logged out by a forged form: %d", r.StatusCode)
	}
	// The same form with the session's token goes through.
	resp, _ := c.do("POST", Prefix+"send", form(token), "Origin", g.URL)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), Prefix+"messages/") {
		t.Fatalf("send with the token: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestReadOnly: a read-only token and a user who is not an operator see
// every page without its forms, and their POSTs are refused.
func TestReadOnly(t *testing.T) {
	g := startGateway(t)
	g.SMSC.SetReject(0x08) // ESME_RSYSERR: temporary, so the message waits with something to retry
	id := g.send(t, "+447700900123", "queued for the read-only test", "")
	g.waitSubmits(t, 1)
	for _, login := range []struct{ user, secret string }{{"", readOnlyToken}, {viewerName, viewerPass}} {
		c := g.client(t)
		if resp := c.login(login.user, login.secret); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s login: %d", login.user, resp.StatusCode)
		}
		for path := range pagesOf(id, "+447700900123") {
			resp, body := c.do("GET", path, nil)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%q GET %s: %d", login.user, path, resp.StatusCode)
			}
			// Only the logout form is left.
			if n := strings.Count(body, `method="post"`); n != 1 || !strings.Contains(body, "read-only") {
				t.Errorf("%q GET %s: %d POST forms", login.user, path, n)
			}
		}
		token := c.csrf(Prefix)
		for _, post := range []struct {
			path string
			form url.Values
		}{
			{"send", url.Values{"to": {"+447700900124"}, "text": {"hi"}}},
			{"messages/" + id + "/retry", url.Values{}},
			{"messages/" + id + "/cancel", url.Values{}},
			{"optouts", url.Values{"number": {"+447700900123"}}},
			{"optouts/remove", url.Values{"number": {"+447700900123"}}},
		} {
			post.form.Set("csrf", token)
			if resp, _ := c.do("POST", Prefix+post.path, post.form); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%q POST %s: %d", login.user, post.path, resp.StatusCode)
			}
		}
	}
	if got := g.SMSC.Submits(); len(got) != 1 {
		t.Errorf("%d submits", len(got))
	}
	m, _ := g.Store.Message(id)
	if st := m.Recipients[0].Parts[0].State.String(); st != "queued" {
		t.Errorf("the message is %s", st)
	}
	// The API takes the read-only token for reading only.
	for method, want := range map[string]int{"GET": http.StatusOK, "DELETE": http.StatusForbidden} {
		req, _ := http.NewRequest(method, g.URL+"/api/v1/messages/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+readOnlyToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("API %s with the read-only token: %d, want %d", method, resp.StatusCode, want)
		}
	}
}

func (g *gateway) waitSubmits(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for len(g.SMSC.Submits()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d submits, want %d", len(g.SMSC.Submits()), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReloadEndsSessions: a token or user taken out of the configuration
// ends its sessions at their next request; an operator made a viewer
// loses the forms at once.
func TestReloadEndsSessions(t *testing.T) {
	g := startGateway(t)
	byToken, byUser := g.client(t), g.client(t)
	byToken.login("", fullToken)
	byUser.login(operatorName, operatorPass)
	g.API.Reload([]string{"another-token"}, nil, nil)
	if r, _ := byToken.do("GET", Prefix, nil); r.StatusCode != http.StatusSeeOther {
		t.Errorf("session of a removed token: %d", r.StatusCode)
	}
	g.Console.Reload(g.Console.opt.Users, nil)
	if _, body := byUser.do("GET", Prefix+"send", nil); strings.Contains(body, `action="`+Prefix+`send"`) {
		t.Error("a user no longer an operator still has the send form")
	}
	g.Console.Reload(nil, nil)
	if r, _ := byUser.do("GET", Prefix, nil); r.StatusCode != http.StatusSeeOther {
		t.Errorf("session of a removed user: %d", r.StatusCode)
	}
}

// TestSendFormRules: the form keeps the API's rules and says what is wrong.
func TestSendFormRules(t *testing.T) {
	g := startGateway(t)
	c := g.client(t)
	c.login("", fullToken)
	token := c.csrf(Prefix + "send")
	if err := g.Store.OptOut(t.Context(), "+447700900999", time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, to, text, from, want string }{
		{"no number", "", "hi", "", "at least one number"},
		{"bad number", "12", "hi", "", "12"},
		{"opted out", "+447700900999", "hi", "", "STOP"},
		{"empty text", "+447700900123", "  ", "", "empty"},
		{"bad from", "+447700900123", "hi", "Ops <ops@example.com>", "plain mail address"},
		{"bad priority", "+447700900123", "hi", "", `"priority" must be one of`},
	} {
		pri := "normal"
		if tc.name == "bad priority" {
			pri = "asap"
		}
		resp, body := c.do("POST", Prefix+"send", url.Values{"csrf": {token}, "to": {tc.to}, "text": {tc.text}, "from": {tc.from}, "priority": {pri}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d, %q missing", tc.name, resp.StatusCode, tc.want)
		}
		if !strings.Contains(body, `>`+tc.text+`</textarea>`) {
			t.Errorf("%s: the text typed is lost", tc.name)
		}
	}
	resp, _ := c.do("POST", Prefix+"send", url.Values{"csrf": {token}, "to": {"07700 900123, 07700 900124"}, "text": {"Ünïcode ☃ text"},
		"priority": {"urgent"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %d", resp.StatusCode)
	}
	m, err := g.Store.Message(strings.TrimPrefix(resp.Header.Get("Location"), Prefix+"messages/"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Class.String() != "urgent" {
		t.Errorf("sent as %v", m.Class)
	}
	subs := g.waitSubmitsGet(t, 2)
	if subs[0].Dest == subs[1].Dest || subs[0].DataCoding != 0x08 {
		t.Errorf("submits = %+v", subs)
	}
}

func (g *gateway) waitSubmitsGet(t testing.TB, n int) []smsctest.Submit {
	g.waitSubmits(t, n)
	return g.SMSC.Submits()
}

func TestCount(t *testing.T) {
	g := startGateway(t)
	c := g.client(t)
	if r, _ := c.do("GET", Prefix+"count?text=hi", nil); r.StatusCode != http.StatusSeeOther {
		t.Errorf("count without a session: %d", r.StatusCode)
	}
	c.login(viewerName, viewerPass) // read-only logins count too: nothing changes
	for text, want := range map[string]countView{
		"":                       {},
		"hello":                  {Chars: 5, Encoding: "gsm7", Parts: 1},
		strings.Repeat("a", 161): {Chars: 161, Encoding: "gsm7", Parts: 2},
		"snow ☃":                 {Chars: 6, Encoding: "ucs2", Parts: 1},
		strings.Repeat("☃", 400): {Chars: 400, Encoding: "ucs2", Parts: 4, Cut: true},
	} {
		resp, body := c.do("GET", Prefix+"count?text="+url.QueryEscape(text), nil)
		var got countView
		if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%q: %d %s", text, resp.StatusCode, body)
		}
		if got != want {
			t.Errorf("%.20q: %+v, want %+v", text, got, want)
		}
	}
}

func TestOptOutForms(t *testing.T) {
	g := startGateway(t)
	c := g.client(t)
	c.login(operatorName, operatorPass)
	token := c.csrf(Prefix + "optouts")
	resp, _ := c.do("POST", Prefix+"optouts", url.Values{"csrf": {token}, "number": {"07700 900123"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add: %d", resp.StatusCode)
	}
	if out, _, _ := g.Store.OptOuts("", "", 0); len(out) != 1 || out[0].Number != "+447700900123" {
		t.Fatalf("opt-outs = %v", out)
	}
	if resp, body := c.do("POST", Prefix+"optouts", url.Values{"csrf": {token}, "number": {"not a number"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "not a number") {
		t.Errorf("bad number: %d", resp.StatusCode)
	}
	_, body := c.do("GET", Prefix+"conversations/+447700900123", nil)
	if !strings.Contains(body, "opted out") {
		t.Error("the thread does not show the opt-out")
	}
	resp, _ = c.do("POST", Prefix+"optouts/remove", url.Values{"csrf": {token}, "number": {"+447700900123"},
		"back": {Prefix + "conversations/+447700900123"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != Prefix+"conversations/+447700900123" {
		t.Fatalf("remove: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if out, _, _ := g.Store.OptOuts("", "", 0); len(out) != 0 {
		t.Fatalf("opt-outs after remove = %v", out)
	}
	// back never leaves the console.
	for _, back := range []string{"https://evil.example/", "//evil.example/console/", "/api/v1/messages"} {
		resp, _ = c.do("POST", Prefix+"optouts/remove", url.Values{"csrf": {token}, "number": {"+447700900123"}, "back": {back}})
		if loc := resp.Header.Get("Location"); loc != Prefix+"optouts" {
			t.Errorf("back %q: to %q", back, loc)
		}
	}
}

// TestSecureCookieOverTLS: served over TLS, the console's cookies are
// Secure.
func TestSecureCookieOverTLS(t *testing.T) {
	g := startGateway(t)
	hs := httptest.NewTLSServer(g.API.Handler())
	t.Cleanup(hs.Close)
	c := g.client(t)
	c.base = hs.URL
	c.http.Transport = hs.Client().Transport
	resp := c.login("", fullToken)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login over TLS: %d", resp.StatusCode)
	}
	found := false
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie && ck.Value != "" {
			found = true
			if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
				t.Errorf("session cookie over TLS: %+v", ck)
			}
		}
	}
	if !found {
		t.Fatal("no session cookie")
	}
}

func TestMessageSearch(t *testing.T) {
	g := startGateway(t)
	alert := g.send(t, "+447700900123", "disk full", "alerts@monitoring.example.com")
	report := g.send(t, "+447700900124", "report ready", "reports@example.com")
	g.waitMessage(t, alert, "delivered")
	g.waitMessage(t, report, "delivered")
	g.SMSC.SetReject(0x0B) // permanent
	failed := g.send(t, "+447700900125", "code 1234", "")
	g.waitMessage(t, failed, "failed")
	c := g.client(t)
	c.login(viewerName, viewerPass)
	future := time.Now().Add(time.Hour).UTC().Format("2006-01-02 15:04")
	for _, tc := range []struct {
		query  string
		status int
		want   []string
	}{
		{"", 200, []string{failed, report, alert}},
		{"sender=MONITORING", 200, []string{alert}},
		{"number=07700+900124", 200, []string{report}},
		{"state=failed", 200, []string{failed}},
		{"state=delivered&since=1h", 200, []string{report, alert}},
		{"since=" + url.QueryEscape(future), 200, nil},
		{"until=" + url.QueryEscape("2000-01-01"), 200, nil},
		{"until=0s&sender=reports", 200, []string{report}},
		{"state=lost", 400, nil},
		{"since=yesterday", 400, nil},
		{"number=12", 400, nil},
	} {
		resp, body := c.do("GET", Prefix+"messages?"+tc.query, nil)
		if resp.StatusCode != tc.status {
			t.Errorf("%q: %d", tc.query, resp.StatusCode)
			continue
		}
		var got []string
		for _, id := range []string{failed, report, alert} {
			if strings.Contains(body, Prefix+"messages/"+id) {
				got = append(got, id)
			}
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%q: %v, want %v", tc.query, got, tc.want)
		}
	}
}

// TestMessagePages: a search matching more than a page pages on with no
// message shown twice or left out.
func TestMessagePages(t *testing.T) {
	g := startGateway(t)
	ids := map[string]bool{}
	for i := range messagesPerPage + 12 {
		from := "other@example.com"
		if i%2 == 0 {
			from = "even@example.com"
		}
		ids[g.send(t, "+447700900123", "page test", from)] = from == "even@example.com"
	}
	c := g.client(t)
	c.login("", readOnlyToken)
	link := regexp.MustCompile(`href="` + Prefix + `messages/([^"]+)"`)
	next := regexp.MustCompile(`href="` + Prefix + `messages\?([^"]+)">Older`) // the page's own link
	for _, tc := range []struct {
		query string
		want  int
	}{{"", messagesPerPage + 12}, {"sender=even", (messagesPerPage + 12) / 2}} {
		seen := map[string]bool{}
		q, pages := tc.query, 0
		for ; pages < 5; pages++ {
			_, body := c.do("GET", Prefix+"messages?"+q, nil)
			for _, m := range link.FindAllStringSubmatch(body, -1) {
				if seen[m[1]] {
					t.Errorf("%q: %s twice", tc.query, m[1])
				}
				seen[m[1]] = true
				if tc.query != "" && !ids[m[1]] {
					t.Errorf("%q: %s does not match", tc.query, m[1])
				}
			}
			m := next.FindStringSubmatch(body)
			if m == nil {
				break
			}
			q = m[1]
		}
		if len(seen) != tc.want || pages != 1 && tc.want > messagesPerPage {
			t.Errorf("%q: %d messages in %d pages, want %d", tc.query, len(seen), pages+1, tc.want)
		}
	}
}

func TestOptOutPages(t *testing.T) {
	g := startGateway(t)
	for i := range numbersPerPage + 5 {
		if err := g.Store.OptOut(t.Context(), "+4477009"+strconv.Itoa(10000+i), time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	c := g.client(t)
	c.login("", readOnlyToken)
	row := regexp.MustCompile(`<td><a href="` + Prefix + `conversations/`)
	_, body := c.do("GET", Prefix+"optouts", nil)
	m := regexp.MustCompile(`href="(` + Prefix + `optouts\?[^"]+)">More`).FindStringSubmatch(body)
	if n := len(row.FindAllString(body, -1)); n != numbersPerPage || m == nil {
		t.Fatalf("first page: %d numbers, next %v", n, m)
	}
	_, body = c.do("GET", m[1], nil)
	if n := len(row.FindAllString(body, -1)); n != 5 || strings.Contains(body, ">More<") {
		t.Errorf("second page: %d numbers", n)
	}
}

// TestLoginThrottled: each failed login from a client waits longer than
// the one before; a success forgets them.
func TestLoginThrottled(t *testing.T) {
	g := startGateway(t)
	took := func(secret string) time.Duration {
		c := g.client(t) // a browser of the same client address
		start := time.Now()
		c.login("", secret)
		return time.Since(start)
	}
	first, second := took("wrong"), took("wrong")
	if first < smtpd.DefaultAuthFailDelay || second < 2*smtpd.DefaultAuthFailDelay {
		t.Errorf("failed logins answered after %v and %v", first, second)
	}
	if d := took(fullToken); d >= smtpd.DefaultAuthFailDelay {
		t.Errorf("a good login waited %v", d)
	}
	if d := took("wrong"); d >= 2*smtpd.DefaultAuthFailDelay {
		t.Errorf("after a success, a failure waited %v", d)
	}
}

// TestRetryAndCancelForms: the buttons of a message page, without a
// browser: cancel what waits, and say so when nothing does.
func TestRetryAndCancelForms(t *testing.T) {
	g := startGateway(t)
	g.SMSC.SetReject(0x08) // temporary: the message waits for its retry
	id := g.send(t, "+447700900123", "cancel me", "")
	g.waitSubmits(t, 1)
	c := g.client(t)
	c.login(operatorName, operatorPass)
	token := c.csrf(Prefix + "messages/" + id)
	resp, _ := c.do("POST", Prefix+"messages/"+id+"/cancel", url.Values{"csrf": {token}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != Prefix+"messages/"+id+"?notice=cancelled" {
		t.Fatalf("cancel: %d to %q", resp.StatusCode, loc)
	}
	_, body := c.do("GET", resp.Header.Get("Location"), nil)
	if !strings.Contains(body, notices["cancelled"]) || !strings.Contains(body, `badge cancelled`) {
		t.Errorf("after cancel the page says:\n%s", body)
	}
	if strings.Contains(body, "/retry") {
		t.Error("a cancelled message still has its retry button")
	}
	resp, _ = c.do("POST", Prefix+"messages/"+id+"/retry", url.Values{"csrf": {token}})
	if loc := resp.Header.Get("Location"); !strings.HasSuffix(loc, "?notice=nothing") {
		t.Errorf("retry of a cancelled message: to %q", loc)
	}
	if resp, _ := c.do("POST", Prefix+"messages/nosuch/retry", url.Values{"csrf": {token}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("retry of no message: %d", resp.StatusCode)
	}
	if resp, _ := c.do("GET", Prefix+"messages/nosuch", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("page of no message: %d", resp.StatusCode)
	}
	if n := len(g.SMSC.Submits()); n != 1 {
		t.Errorf("%d submits after cancel", n)
	}
}
