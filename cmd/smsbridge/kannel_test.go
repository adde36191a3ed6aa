package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
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

// TestKannelKillAndRestart: sendsms requests answered 202 while the SMSC
// withholds every response survive SIGKILL: after a restart every message
// reaches the SMSC and every dlr-url is called with its report.
func TestKannelKillAndRestart(t *testing.T) {
	t.Parallel()
	smsc, err := smsctest.Start(smsctest.Options{Hold: true})
	if err != nil {
		t.Fatal(err)
	}
	defer smsc.Close()
	var mu sync.Mutex
	told := map[string]string{}
	dlr := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		told[r.URL.Query().Get("to")] = r.URL.Query().Get("s")
		mu.Unlock()
	}))
	defer dlr.Close()
	dir := t.TempDir()
	smtpAddr, kannelAddr := freePort(t), freePort(t)
	cfg := writeConfig(t, dir, strings.NewReplacer("%SMTP%", smtpAddr, "%SMSC%", smsc.Addr(), "%HASH%", cheapHash(t, "pw"),
		"%KANNEL%", kannelAddr).Replace(durableConfig+"[[smtp.users]]\nname = \"app\"\npassword_hash = \"%HASH%\"\n[kannel]\nlisten = \"%KANNEL%\"\n"))
	d := startDaemon(t, dir, smtpAddr, "-config", cfg)

	const requests = 20
	for i := range requests {
		v := url.Values{"username": {"app"}, "password": {"pw"}, "to": {fmt.Sprintf("+1415555%04d", 1000+i)},
			"text": {fmt.Sprintf("job %d done", i)}, "dlr-mask": {"8"}, "dlr-url": {dlr.URL + "/?s=%d&to=%p"}}
		resp, err := http.Get("http://" + kannelAddr + "/cgi-bin/sendsms?" + v.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("request %d: %d", i, resp.StatusCode)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := smsc.WaitSubmits(ctx, 4); err != nil {
		t.Fatalf("no submits in flight before the kill: %v", err)
	}
	d.kill()
	smsc.SetHold(false)
	smsc.DropConnections()
	startDaemon(t, dir, smtpAddr, "-config", cfg)
	for {
		mu.Lock()
		n := 0
		for _, s := range told {
			if s == "8" {
				n++
			}
		}
		mu.Unlock()
		if n == requests {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("after restart %d of %d dlr-urls were called: %v", n, requests, told)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
