package metrics_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/bridge/smtpbackend"
	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/mailout"
	"github.com/smsbridge/smsbridge/metrics"
	"github.com/smsbridge/smsbridge/smtpd"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport/simulator"
)

type gated struct {
	*simulator.Simulator
	open atomic.Bool
}

func (g *gated) Up() bool { return g.open.Load() }

type nopMailer struct{}

func (nopMailer) Deliver(context.Context, *mailout.Mail) error { return nil }

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

type flow struct {
	m   *metrics.Metrics
	gw  *bridge.Gateway
	st  *store.DB
	sim *gated
	url string
}

func startFlow(t *testing.T) *flow {
	t.Helper()
	bcfg, err := bridge.ConfigFrom(configs.Default())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(discard{}, nil))
	st, err := store.Open(filepath.Join(t.TempDir(), "q.db"), store.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	sim := &gated{Simulator: simulator.New(simulator.Config{Name: "simulator", Delay: 5 * time.Millisecond,
		FailPrefixes: []string{"+1555"}, Logger: log})}
	m := metrics.New()
	gw, err := bridge.New(bcfg, bridge.Options{Store: st, Lanes: []bridge.Lane{{Transport: sim, Slots: 4}},
		Mailer: nopMailer{}, Logger: log, Observer: m})
	if err != nil {
		t.Fatal(err)
	}
	m.Attach(metrics.Sources{Transports: gw.Transports, Queue: st, Route: gw.RouteOf})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { gw.Run(ctx, 5*time.Second); close(done) }()
	hs := httptest.NewServer(m.Handler())
	t.Cleanup(func() {
		hs.Close()
		cancel()
		<-done
		st.Close()
	})
	return &flow{m: m, gw: gw, st: st, sim: sim, url: hs.URL}
}

// mail runs one mail through the SMTP backend as the server would.
func (f *flow) mail(t *testing.T, to ...string) {
	t.Helper()
	be := smtpbackend.New(f.gw)
	env := &smtpd.Envelope{ID: "test", From: "ops@example.com"}
	for _, r := range to {
		data, err := be.Recipient(context.Background(), env, r)
		if err != nil {
			t.Fatal(err)
		}
		env.Recipients = append(env.Recipients, smtpd.Recipient{Address: r, Numbers: data})
	}
	body := "From: ops@example.com\r\nSubject: disk\r\n\r\n/var is 97% full\r\n"
	if _, err := be.Submit(context.Background(), env, []byte(body)); err != nil {
		t.Fatal(err)
	}
	f.m.SMTPReply(250)
}

// scrape reads /metrics over HTTP and parses it with the Prometheus parser.
func (f *flow) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(f.url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("scrape: %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing the scrape: %v", err)
	}
	return fams
}

// value is the sample of family name whose labels include want ("k=v"
// pairs); a histogram gives its count. -1 when there is none.
func value(fams map[string]*dto.MetricFamily, name string, want ...string) float64 {
	fam := fams[name]
	if fam == nil {
		return -1
	}
next:
	for _, m := range fam.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for _, kv := range want {
			k, v, _ := strings.Cut(kv, "=")
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

func waitFor(t *testing.T, f *flow, what string, ok func(map[string]*dto.MetricFamily) bool) map[string]*dto.MetricFamily {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		fams := f.scrape(t)
		if ok(fams) {
			return fams
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics never showed %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCountersMoveAsMailFlows(t *testing.T) {
	t.Parallel()
	f := startFlow(t)
	f.sim.open.Store(false)
	f.mail(t, "4151234567@sms.localhost", "5555550123@sms.localhost")
	fams := waitFor(t, f, "the queue", func(fams map[string]*dto.MetricFamily) bool {
		return value(fams, "smsbridge_queue_depth", "transport=simulator") == 2
	})
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"smsbridge_messages_queued_total", []string{"source=smtp"}, 1},
		{"smsbridge_recipients_queued_total", []string{"source=smtp"}, 2},
		{"smsbridge_parts_queued_total", []string{"source=smtp"}, 2},
		{"smsbridge_smtp_replies_total", []string{"code=250", "class=accepted"}, 1},
		{"smsbridge_parts", []string{"state=queued"}, 2},
		{"smsbridge_parts", []string{"state=delivered"}, 0},
		{"smsbridge_transport_up", []string{"transport=simulator"}, 0},
		{"smsbridge_transport_slots", []string{"transport=simulator"}, 4},
		{"smsbridge_store_up", nil, 1},
		{"smsbridge_queue_walk_complete", nil, 1},
		{"smsbridge_parts_submitted_total", []string{"transport=simulator"}, -1},
	} {
		if got := value(fams, c.name, c.labels...); got != c.want {
			t.Errorf("before sending: %s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if age := value(fams, "smsbridge_queue_oldest_seconds", "transport=simulator"); age < 0 || age > 60 {
		t.Errorf("oldest queued: %v s", age)
	}

	f.sim.open.Store(true)
	f.gw.Kick()
	fams = waitFor(t, f, "the receipts", func(fams map[string]*dto.MetricFamily) bool {
		return value(fams, "smsbridge_parts_final_total", "state=failed") == 1 &&
			value(fams, "smsbridge_parts_final_total", "state=delivered") == 1
	})
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"smsbridge_parts_submitted_total", []string{"transport=simulator"}, 2},
		{"smsbridge_submit_duration_seconds", []string{"transport=simulator"}, 2},
		{"smsbridge_end_to_end_seconds", []string{"transport=simulator"}, 2},
		{"smsbridge_receipts_total", []string{"transport=simulator", "status=DELIVRD", "matched=true"}, 1},
		{"smsbridge_receipts_total", []string{"transport=simulator", "status=UNDELIV", "matched=true"}, 1},
		{"smsbridge_parts", []string{"state=queued"}, 0},
		{"smsbridge_parts", []string{"state=delivered"}, 1},
		{"smsbridge_parts", []string{"state=failed"}, 1},
		{"smsbridge_transport_up", []string{"transport=simulator"}, 1},
		{"smsbridge_queue_depth", []string{"transport=simulator"}, -1},
	} {
		if got := value(fams, c.name, c.labels...); got != c.want {
			t.Errorf("after sending: %s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if tp := value(fams, "smsbridge_transport_throughput", "transport=simulator"); tp <= 0 {
		t.Errorf("throughput %v", tp)
	}

	// A second mail moves the counters on.
	f.mail(t, "4151234569@sms.localhost", "4151234568@sms.localhost")
	waitFor(t, f, "the second mail", func(fams map[string]*dto.MetricFamily) bool {
		return value(fams, "smsbridge_messages_queued_total", "source=smtp") == 2 &&
			value(fams, "smsbridge_parts_submitted_total", "transport=simulator") == 4
	})
}

func TestSMTPRepliesByCode(t *testing.T) {
	t.Parallel()
	f := startFlow(t)
	for _, code := range []int{250, 550, 550, 451, 554} {
		f.m.SMTPReply(code)
	}
	fams := f.scrape(t)
	for _, c := range []struct {
		code, class string
		want        float64
	}{{"250", "accepted", 1}, {"550", "permanent", 2}, {"451", "temporary", 1}, {"554", "permanent", 1}} {
		if got := value(fams, "smsbridge_smtp_replies_total", "code="+c.code, "class="+c.class); got != c.want {
			t.Errorf("smtp %s: %v, want %v", c.code, got, c.want)
		}
	}
}

func TestObserverCounters(t *testing.T) {
	t.Parallel()
	f := startFlow(t)
	f.m.SubmitFailed("smsc", true)
	f.m.SubmitFailed("smsc", false)
	f.m.Inbound("smsc")
	f.m.MailSent(true)
	f.m.MailSent(false)
	f.m.PartFinal(store.PartCancelled)
	fams := f.scrape(t)
	for _, c := range []struct {
		name   string
		labels []string
	}{
		{"smsbridge_submit_failures_total", []string{"transport=smsc", "kind=temporary"}},
		{"smsbridge_submit_failures_total", []string{"transport=smsc", "kind=permanent"}},
		{"smsbridge_inbound_total", []string{"transport=smsc"}},
		{"smsbridge_mails_sent_total", []string{"result=ok"}},
		{"smsbridge_mails_sent_total", []string{"result=failed"}},
		{"smsbridge_parts_final_total", []string{"state=cancelled"}},
	} {
		if got := value(fams, c.name, c.labels...); got != 1 {
			t.Errorf("%s%v = %v, want 1", c.name, c.labels, got)
		}
	}
}

func ExampleMetrics_SMTPReply() {
	m := metrics.New()
	m.SMTPReply(550)
	fams, _ := m.Registry().Gather()
	for _, f := range fams {
		if f.GetName() == "smsbridge_smtp_replies_total" {
			fmt.Println(f.GetMetric()[0].GetCounter().GetValue())
		}
	}
	// Output: 1
}
