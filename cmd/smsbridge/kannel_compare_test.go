package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

// The comparison's bounded loop: requests per endpoint and clients at once.
const (
	noLimits        = "mails_per_minute = 0\nparts_per_day = 0"
	compareRequests = 2000
	compareClients  = 16
	compareBudget   = 2 * time.Minute // for each endpoint's loop and drain
)

const compareGatewayConfig = `
[smtp]
listen = ["%SMTP%"]
domains = ["sms.test"]
[[smtp.users]]
name = "bench"
password_hash = "%HASH%"

[store]
path = "%DIR%/q.db"

[[transports]]
name = "smsc"
type = "smpp"
address = "%SMSC%"
window = 10

[receipts]
mode = "none"
maildir = "%DIR%/mail"

# Kannel has no such limits: the comparison has none, but in one run.
[limits]
%LIMITS%

[kannel]
listen = "%KANNEL%"
`

// TestKannelCompared sends the same bounded loop of sendsms requests to
// Kannel (bearerbox and smsbox with its store file, an SMPP SMSC behind)
// and to smsbridge's [kannel] endpoint (its queue file, the same kind of
// SMSC behind), checks that every request was accepted and reached the
// SMSC, and logs each one's rate and latencies (docs/PERFORMANCE.md).
func TestKannelCompared(t *testing.T) {
	if testing.Short() {
		t.Skip("a load loop; not in -short")
	}
	skipWithoutKannel(t)
	t.Run("kannel", func(t *testing.T) {
		smsc, seen := countingSMSC(t)
		e := endpoint{base: runKannel(t, smsc.Addr(), "kannel", "kannel"), user: "bench", password: "bench"}
		waitSendsms(t, e, seen)
		compareLoop(t, e, seen)
	})
	startGateway := func(t *testing.T, limits string) (endpoint, *atomic.Int64) {
		smsc, seen := countingSMSC(t)
		dir := t.TempDir()
		smtpAddr, kannelAddr := freePort(t), freePort(t)
		cfg := writeConfig(t, dir, strings.NewReplacer("%SMTP%", smtpAddr, "%HASH%", cheapHash(t, "bench"),
			"%SMSC%", smsc.Addr(), "%KANNEL%", kannelAddr, "%LIMITS%", limits).Replace(compareGatewayConfig))
		startDaemon(t, dir, smtpAddr, "-config", cfg, "-log", "json")
		e := endpoint{base: "http://" + kannelAddr, user: "bench", password: "bench"}
		waitSendsms(t, e, seen)
		return e, seen
	}
	t.Run("smsbridge", func(t *testing.T) {
		e, seen := startGateway(t, noLimits)
		compareLoop(t, e, seen)
	})
	// The same with the user's limits counted (high enough not to refuse):
	// the day's counters are saved with every request.
	t.Run("smsbridge-limits", func(t *testing.T) {
		e, seen := startGateway(t, "mails_per_minute = 1000000\nparts_per_day = 1000000")
		compareLoop(t, e, seen)
	})
	// The same with a dlr-url for the network's acceptance (8) on every
	// request: the watch is stored with the message, the report queued
	// and called once the SMSC has taken it.
	t.Run("smsbridge-dlr", func(t *testing.T) {
		var calls atomic.Int64
		dlr := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls.Add(1) }))
		defer dlr.Close()
		e, seen := startGateway(t, noLimits)
		e.extra = url.Values{"dlr-mask": {"8"}, "dlr-url": {dlr.URL + "/?s=%d&to=%p"}}
		start := time.Now()
		compareLoop(t, e, seen)
		deadline := time.Now().Add(compareBudget)
		for calls.Load() < compareRequests && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := calls.Load(); n < compareRequests {
			t.Fatalf("%d of %d dlr-urls called", n, compareRequests)
		}
		t.Logf("every dlr-url called %v after the first request", time.Since(start).Round(time.Millisecond))
	})
}

// countingSMSC is a fake SMSC that counts the submit_sm it takes.
func countingSMSC(t *testing.T) (*smsctest.Server, *atomic.Int64) {
	t.Helper()
	var seen atomic.Int64
	smsc, err := smsctest.Start(smsctest.Options{Forget: true, OnSubmit: func(smsctest.Submit) { seen.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { smsc.Close() })
	return smsc, &seen
}

// endpoint is a sendsms URL with its account and any extra fields.
type endpoint struct {
	base, user, password string
	extra                url.Values
}

func (e endpoint) url(i int) string {
	v := url.Values{"username": {e.user}, "password": {e.password},
		"from": {"12345"}, "to": {fmt.Sprintf("+1415555%04d", i%10000)}, "text": {fmt.Sprintf("load %d: disk full on db-1", i)}}
	for k, x := range e.extra {
		v[k] = x
	}
	return e.base + "/cgi-bin/sendsms?" + v.Encode()
}

// waitSendsms sends one message until the endpoint takes it and it reaches
// the SMSC (both boxes and the SMPP bind are up), then resets the count.
func waitSendsms(t *testing.T, e endpoint, seen *atomic.Int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(e.url(0)); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusAccepted {
				for time.Now().Before(deadline) && seen.Load() == 0 {
					time.Sleep(20 * time.Millisecond)
				}
				if seen.Load() > 0 {
					seen.Store(0)
					return
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never took a message through to the SMSC", e.base)
}

// compareLoop sends compareRequests requests from compareClients clients,
// each answered 202 with smsbox's words, then waits until the SMSC has
// them all; it logs requests/s, latency percentiles and the drain time.
func compareLoop(t *testing.T, e endpoint, seen *atomic.Int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), compareBudget)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: compareClients}}
	var next atomic.Int64
	lat := make([][]time.Duration, compareClients)
	var bad atomic.Int64
	var firstBad atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for c := range compareClients {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1))
				if i > compareRequests {
					return
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.url(i), nil)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					bad.Add(1)
					firstBad.CompareAndSwap(nil, err.Error())
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				lat[c] = append(lat[c], time.Since(t0))
				if resp.StatusCode != http.StatusAccepted || !strings.HasPrefix(string(body), "0: Accepted for delivery") {
					bad.Add(1)
					firstBad.CompareAndSwap(nil, fmt.Sprintf("%d %q", resp.StatusCode, body))
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	if n := bad.Load(); n > 0 {
		t.Fatalf("%d of %d requests not accepted; the first: %v", n, compareRequests, firstBad.Load())
	}
	for seen.Load() < compareRequests && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	drained := time.Since(start)
	if got := seen.Load(); got < compareRequests {
		t.Fatalf("the SMSC got %d of %d messages within %v", got, compareRequests, compareBudget)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		return all[min(len(all)-1, int(p*float64(len(all))))].Round(10 * time.Microsecond)
	}
	t.Logf("%d requests, %d clients: %.0f accepted/s (%v), latency p50 %v p90 %v p99 %v max %v; all at the SMSC after %v (%.0f/s)",
		compareRequests, compareClients, float64(compareRequests)/took.Seconds(), took.Round(time.Millisecond),
		pct(0.50), pct(0.90), pct(0.99), all[len(all)-1].Round(10*time.Microsecond), drained.Round(time.Millisecond),
		float64(compareRequests)/drained.Seconds())
}
