package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

const esmeGatewayConfig = `
[smtp]
listen = ["%SMTP%"]
domains = ["sms.test"]
[[smtp.users]]
name = "kannel"
password_hash = "%HASH%"

[store]
path = "%DIR%/q.db"

[[transports]]
name = "smsc"
type = "smpp"
address = "%SMSC%"

[receipts]
mode = "none"
maildir = "%DIR%/mail"

[smpp_server]
listen = "%SMPPSERVER%"
`

// TestKannelAsESME: Kannel (bearerbox and smsbox) binds to smsbridge's
// [smpp_server] as its SMSC; SMS sent through Kannel's own sendsms reach
// smsbridge's SMSC, and the receipts smsbridge sends back as deliver_sm
// make Kannel call each request's dlr-url with "delivered".
func TestKannelAsESME(t *testing.T) {
	skipWithoutKannel(t)
	smsc, err := smsctest.Start(smsctest.Options{ReceiptDelay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer smsc.Close()
	var mu sync.Mutex
	dlrs := map[string][]string{}
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		dlrs[r.URL.Query().Get("n")] = append(dlrs[r.URL.Query().Get("n")], r.URL.Query().Get("s"))
		mu.Unlock()
	}))
	defer sink.Close()

	dir := t.TempDir()
	smtpAddr, smppAddr := freePort(t), freePort(t)
	cfg := writeConfig(t, dir, strings.NewReplacer("%SMTP%", smtpAddr, "%HASH%", cheapHash(t, "kpw"),
		"%SMSC%", smsc.Addr(), "%SMPPSERVER%", smppAddr).Replace(esmeGatewayConfig))
	startDaemon(t, dir, smtpAddr, "-config", cfg)

	sendsms := runKannel(t, smppAddr, "kannel", "kpw")

	const n = 5
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := range n {
		v := url.Values{"username": {"bench"}, "password": {"bench"}, "from": {"12345"}, "to": {fmt.Sprintf("+1415555%04d", i)},
			"text": {fmt.Sprintf("through kannel %d", i)}, "dlr-mask": {"3"}, "dlr-url": {fmt.Sprintf("%s/?n=%d&s=%%d", sink.URL, i)}}
		sendsmsAccepted(ctx, t, sendsms, v)
	}
	if _, err := smsc.WaitSubmits(ctx, n); err != nil {
		t.Fatalf("smsbridge's SMSC: %v", err)
	}
	for {
		mu.Lock()
		done := 0
		for _, s := range dlrs {
			if len(s) > 0 && s[len(s)-1] == "1" {
				done++
			}
		}
		got := fmt.Sprint(dlrs)
		mu.Unlock()
		if done == n {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("Kannel called %d of %d dlr-urls with 1: %s", done, n, got)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
