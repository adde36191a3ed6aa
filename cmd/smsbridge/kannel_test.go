package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

const kannelConfig = `
[smtp]
listen = ["127.0.0.1:0"]
domains = ["sms.test"]
[[smtp.users]]
name = "app"
password_hash = "%HASH%"

[store]
path = "%DIR%/q.db"

[[transports]]
name = "sim"
type = "simulator"
delivery_delay = "10ms"

[receipts]
mode = "none"
maildir = "%DIR%/mail"

[kannel]
listen = "%KANNEL%"
`

// TestKannelSendsmsThroughTheGateway: a Kannel client sends through
// [kannel] listen with an [[smtp.users]] account, gets smsbox's answer,
// and its dlr-url is called when the simulator delivers.
func TestKannelSendsmsThroughTheGateway(t *testing.T) {
	dir := t.TempDir()
	addr := freePort(t)
	got := make(chan url.Values, 4)
	dlr := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r.URL.Query() }))
	defer dlr.Close()
	cfg := writeConfig(t, dir, strings.NewReplacer("%HASH%", cheapHash(t, "pw"), "%KANNEL%", addr).Replace(kannelConfig))
	startGateway(t, cfg)

	get := func(v url.Values) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + addr + "/cgi-bin/sendsms?" + v.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := get(url.Values{"username": {"app"}, "password": {"wrong"}, "to": {"+14155550100"}, "text": {"x"}}); status != 403 || body != "Authorization failed for sendsms" {
		t.Errorf("bad password: %d %q", status, body)
	}
	status, body := get(url.Values{"username": {"app"}, "password": {"pw"}, "to": {"+14155550100"}, "text": {"disk full on db1"},
		"dlr-mask": {"1"}, "dlr-url": {dlr.URL + "/dlr?status=%d&to=%p"}})
	if status != 202 || body != "0: Accepted for delivery" {
		t.Fatalf("sendsms: %d %q", status, body)
	}
	select {
	case q := <-got:
		if q.Get("status") != "1" || q.Get("to") != "+14155550100" {
			t.Errorf("dlr-url called with %v", q)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("dlr-url never called")
	}
}
