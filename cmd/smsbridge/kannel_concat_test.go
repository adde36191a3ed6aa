package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

// TestKannelLongMessageAndMO: Kannel, bound to smsbridge's [smpp_server]
// as an ESME, splits a long sendsms text into concatenated submit_sm
// (UDH) itself; smsbridge joins them into one message, sends it from the
// sender Kannel asked for (one of the user's sms_senders) as its own
// parts, and each part Kannel sent gets its receipt (dlr-url called with
// 1). An SMS from a phone to the user's smpp_numbers reaches Kannel as
// deliver_sm, and Kannel's sms-service gets it.
func TestKannelLongMessageAndMO(t *testing.T) {
	skipWithoutKannel(t)
	smsc, err := smsctest.Start(smsctest.Options{ReceiptDelay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer smsc.Close()
	var mu sync.Mutex
	var dlrs []string
	var mos []url.Values
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch r.URL.Path {
		case "/dlr":
			dlrs = append(dlrs, r.URL.Query().Get("s"))
		case "/mo":
			mos = append(mos, r.URL.Query())
		}
	}))
	defer sink.Close()

	dir := t.TempDir()
	smtpAddr, smppAddr := freePort(t), freePort(t)
	gateway := strings.Replace(esmeGatewayConfig, `password_hash = "%HASH%"`, `password_hash = "%HASH%"
sms_senders = ["KANNEL"]
smpp_numbers = ["12345"]`, 1)
	cfg := writeConfig(t, dir, strings.NewReplacer("%SMTP%", smtpAddr, "%HASH%", cheapHash(t, "kpw"),
		"%SMSC%", smsc.Addr(), "%SMPPSERVER%", smppAddr).Replace(gateway))
	startDaemon(t, dir, smtpAddr, "-config", cfg)
	sendsms := runKannelWith(t, smppAddr, "kannel", "kpw", `
group = sms-service
keyword = default
get-url = "`+sink.URL+`/mo?text=%a&from=%p&to=%P"
max-messages = 0
`)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var long strings.Builder
	for i := range 40 {
		fmt.Fprintf(&long, "word%02d ", i) // 280 characters: Kannel sends 2 segments
	}
	text := strings.TrimSpace(long.String())
	v := url.Values{"username": {"bench"}, "password": {"bench"}, "from": {"KANNEL"}, "to": {"+14155550100"},
		"text": {text}, "dlr-mask": {"3"}, "dlr-url": {sink.URL + "/dlr?s=%d"}}
	sendsmsAccepted(ctx, t, sendsms, v)
	subs, err := smsc.WaitSubmits(ctx, 2)
	if err != nil {
		t.Fatalf("smsbridge's SMSC: %v", err)
	}
	time.Sleep(300 * time.Millisecond) // any third part, or a second message, would be here by now
	subs = smsc.Submits()
	slices.SortFunc(subs, func(a, b smsctest.Submit) int { return int(a.UDH[len(a.UDH)-1]) - int(b.UDH[len(b.UDH)-1]) })
	var sent strings.Builder
	for _, s := range subs {
		sent.Write(s.ShortMessage)
		if s.Source != "KANNEL" {
			t.Errorf("part sent from %q, want KANNEL", s.Source)
		}
	}
	if len(subs) != 2 || sent.String() != text {
		t.Errorf("smsbridge sent %d parts, %q; want one message of 2 parts, %q", len(subs), sent.String(), text)
	}
	for {
		mu.Lock()
		got := slices.Clone(dlrs)
		mu.Unlock()
		if slices.Contains(got, "1") {
			if slices.ContainsFunc(got, func(s string) bool { return s != "1" && s != "8" }) {
				t.Errorf("dlr-url calls %v: a failure among them", got)
			}
			t.Logf("dlr-url calls: %v", got)
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("dlr-url never called with 1: %v", got)
		case <-time.After(50 * time.Millisecond):
		}
	}

	for {
		err := smsc.SendMO("+14155550199", "12345", "reply to kannel")
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("MO: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for {
		mu.Lock()
		got := slices.Clone(mos)
		mu.Unlock()
		if len(got) > 0 {
			if got[0].Get("text") != "reply to kannel" || !strings.HasSuffix(got[0].Get("from"), "14155550199") || got[0].Get("to") != "12345" {
				t.Errorf("Kannel's sms-service got %v", got[0])
			}
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the SMS from a phone never reached Kannel's sms-service")
		case <-time.After(50 * time.Millisecond):
		}
	}
}
