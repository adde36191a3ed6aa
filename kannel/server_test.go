package kannel

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/store"
)

// TestSendsmsRefusals: smsbox's status codes and words for what it refuses.
func TestSendsmsRefusals(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name   string
		v      url.Values
		status int
		want   string
	}{
		{"bad password", url.Values{"username": {testUser}, "password": {"nope"}, "to": {"+14155550100"}, "text": {"hi"}}, 403, "Authorization failed for sendsms"},
		{"unknown user", url.Values{"username": {"who"}, "password": {testPassword}, "to": {"+14155550100"}}, 403, "Authorization failed for sendsms"},
		{"no credentials", url.Values{"username": {""}, "to": {"+14155550100"}}, 403, "Authorization failed for sendsms"},
		{"no to", url.Values{"text": {"hi"}}, 400, "Missing receiver number, rejected"},
		{"empty to", url.Values{"to": {""}, "text": {"hi"}}, 400, "Empty receiver number not allowed, rejected"},
		{"udh length", url.Values{"to": {"+14155550100"}, "udh": {"\x05\x00\x03"}}, 400, "UDH field misformed, rejected"},
		{"udh", url.Values{"to": {"+14155550100"}, "udh": {"\x05\x00\x03\x01\x02\x01"}, "text": {"hi"}}, 400, "UDH is not supported here (send the whole text; it is split as needed), rejected"},
		{"dlr-url scheme", url.Values{"to": {"+14155550100"}, "text": {"hi"}, "dlr-url": {"ftp://x/"}}, 400, "DLR-URL field misformed, rejected"},
		{"dlr-mask", url.Values{"to": {"+14155550100"}, "text": {"hi"}, "dlr-mask": {"64"}}, 400, "DLR-Mask field misformed, rejected"},
		{"coding", url.Values{"to": {"+14155550100"}, "text": {"hi"}, "coding": {"3"}}, 400, "Coding field misformed, rejected"},
		{"coding 8-bit", url.Values{"to": {"+14155550100"}, "text": {"hi"}, "coding": {"1"}}, 400, "8-bit messages (coding=1) are not supported here, rejected"},
		{"validity", url.Values{"to": {"+14155550100"}, "text": {"hi"}, "validity": {"-5"}}, 400, "Validity field misformed, rejected"},
		{"priority", url.Values{"to": {"+14155550100"}, "text": {"hi"}, "priority": {"4"}}, 400, "Priority field misformed, rejected"},
		{"charset", url.Values{"to": {"+14155550100"}, "text": {"hi"}, "charset": {"no-such-charset"}}, 400, "Charset or body misformed, rejected"},
		{"not UTF-8", url.Values{"to": {"+14155550100"}, "text": {"h\xffi"}}, 400, "Charset or body misformed, rejected"},
		{"all denied", url.Values{"to": {"abc +44207946000 12"}, "text": {"hi"}}, 400, "Number(s) has/have been denied by white- and/or black-lists."},
		{"empty text", url.Values{"to": {"+14155550100"}, "text": {" "}}, 400, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := e.get(t, c.v)
			if status != c.status || (c.want != "" && body != c.want) || (c.want == "" && !strings.HasSuffix(body, ", rejected")) {
				t.Errorf("%d %q, want %d %q", status, body, c.status, c.want)
			}
		})
	}
	if status, body := e.do(t, "GET", "/cgi-bin/other", "", "", nil); status != 404 || body != "Unknown request." {
		t.Errorf("other path: %d %q", status, body)
	}
	if status, body := e.do(t, "POST", "/cgi-bin/sendsms", "text/xml", "<x/>", nil); status != 400 || body != "Invalid content-type" {
		t.Errorf("XML POST: %d %q", status, body)
	}
	for _, method := range []string{"PUT", "HEAD"} {
		if status, _ := e.do(t, method, "/cgi-bin/sendsms?username=app&password=s3cret&to=%2B14155550100&text=x", "", "", nil); status != http.StatusMethodNotAllowed {
			t.Errorf("%s: %d", method, status)
		}
	}
	if st, _ := e.st.Stats(); st[store.PartQueued]+st[store.PartSubmitted]+st[store.PartDelivered] != 0 {
		t.Errorf("a refused request queued parts: %v", st)
	}
}

// TestSendsmsAccepted: GET, form POST and plain POST are each stored
// before the 202, one recipient per distinct receiver, the text decoded
// from its charset; denied receivers are named.
func TestSendsmsAccepted(t *testing.T) {
	e := newEnv(t)
	form := url.Values{"username": {testUser}, "password": {testPassword}, "to": {"+14155550101"}, "text": {"from a form"}}
	plainHeader := http.Header{"X-Kannel-Username": {testUser}, "X-Kannel-Password": {testPassword}, "X-Kannel-To": {"+14155550102"}}
	cases := []struct {
		name    string
		send    func() (int, string)
		want    string
		numbers []string
		text    string
	}{
		{"GET several", func() (int, string) {
			return e.get(t, url.Values{"to": {"+14155550100 +1 415 555 0100 +14155550103 +14155550100"}, "text": {"héllo"}, "from": {"app"}})
		}, "0: Accepted for delivery Denied receivers are: +1 415 555 0100", []string{"+14155550100", "+14155550103"}, "héllo"},
		{"form POST", func() (int, string) {
			return e.do(t, "POST", "/cgi-bin/sendsms", "application/x-www-form-urlencoded", form.Encode(), nil)
		}, "0: Accepted for delivery", []string{"+14155550101"}, "from a form"},
		{"plain POST", func() (int, string) {
			return e.do(t, "POST", "/cgi-bin/sendsms", "text/plain; charset=ISO-8859-1", "caf\xe9", plainHeader)
		}, "0: Accepted for delivery", []string{"+14155550102"}, "café"},
		{"UCS-2", func() (int, string) {
			return e.get(t, url.Values{"to": {"+14155550104"}, "text": {"\x04\x1f\x04\x40\x04\x38"}, "coding": {"2"}})
		}, "0: Accepted for delivery", []string{"+14155550104"}, "При"},
		{"latin1 charset", func() (int, string) {
			return e.get(t, url.Values{"to": {"+14155550105"}, "text": {"\xe0 bient\xf4t"}, "coding": {"2"}, "charset": {"ISO-8859-1"}, "validity": {"30"}, "priority": {"2"}})
		}, "0: Accepted for delivery", []string{"+14155550105"}, "à bientôt"},
		{"denied by the user's rules", func() (int, string) {
			return e.get(t, url.Values{"to": {"+442079460000 +14155550106"}, "text": {"x"}})
		}, "0: Accepted for delivery Denied receivers are: +442079460000", []string{"+14155550106"}, "x"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, _, err := e.st.List(store.ListQuery{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			status, body := c.send()
			if status != http.StatusAccepted || body != c.want {
				t.Fatalf("%d %q, want 202 %q", status, body, c.want)
			}
			list, _, err := e.st.List(store.ListQuery{Limit: 100})
			if err != nil || len(list) != len(before)+1 {
				t.Fatalf("stored %d messages before, %d after (%v)", len(before), len(list), err)
			}
			m, err := e.st.Message(list[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range m.Recipients {
				got = append(got, r.Number)
				if !r.Reported {
					t.Errorf("recipient %s would be mailed a report", r.Number)
				}
			}
			if strings.Join(got, " ") != strings.Join(c.numbers, " ") || m.Recipients[0].Parts[0].Text != c.text {
				t.Errorf("stored %v %q, want %v %q", got, m.Recipients[0].Parts[0].Text, c.numbers, c.text)
			}
		})
	}
}

// TestSendsmsValidityAndPriority: validity (minutes) bounds the message's
// life; a priority above Kannel's default makes it urgent.
func TestSendsmsValidityAndPriority(t *testing.T) {
	e := newEnv(t)
	if status, body := e.get(t, url.Values{"to": {"+14155550100"}, "text": {"soon"}, "validity": {"30"}, "priority": {"3"}}); status != 202 {
		t.Fatalf("%d %q", status, body)
	}
	list, _, err := e.st.List(store.ListQuery{Limit: 1})
	if err != nil || len(list) != 1 {
		t.Fatal(list, err)
	}
	m, err := e.st.Message(list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if life := m.Expires.Sub(m.Received); life.Minutes() != 30 {
		t.Errorf("message lives %v, want 30m", life)
	}
	if m.Class != priority.Urgent {
		t.Errorf("class %v, want urgent", m.Class)
	}
}

// TestSetUsers: a reload's accounts replace the old ones, remembered
// passwords included.
func TestSetUsers(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("new"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	old, err := bcrypt.GenerateFromPassword([]byte("old"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Users: []User{{Name: "app", PasswordHash: string(old)}}})
	if !s.accounts.Load().Verify("app", "old") || !s.accounts.Load().Verify("app", "old") {
		t.Fatal("the old password does not verify")
	}
	s.SetUsers([]User{{Name: "app", PasswordHash: string(hash)}})
	if a := s.accounts.Load(); a.Verify("app", "old") || !a.Verify("app", "new") || a.Verify("other", "new") {
		t.Error("after SetUsers the accounts are not the new ones")
	}
	s.SetUsers(nil)
	if s.accounts.Load() != nil {
		t.Error("no users left an account")
	}
}
