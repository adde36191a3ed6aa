package smppserver

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/mailout"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport"
	"github.com/smsbridge/smsbridge/transport/simulator"
)

const peerDir = "../testdata/npm-smsc"

type nopMailer struct{}

func (nopMailer) Deliver(context.Context, *mailout.Mail) error { return nil }

type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// startServer runs a real gateway (simulator transport, store in a
// temporary directory) and the SMPP server on loopback; ESME "esme" has
// password "pw".
func startServer(t *testing.T, rateLimit float64) (string, *store.DB) {
	return startServerOn(t, rateLimit, nil)
}

// startServerOn is startServer with the listener wrapped by wrap (TLS).
func startServerOn(t *testing.T, rateLimit float64, wrap func(net.Listener) net.Listener) (string, *store.DB) {
	t.Helper()
	s := launch(t, setup{path: filepath.Join(t.TempDir(), "q.db"), wrap: wrap,
		options: func(o *Options) { o.Rate = rateLimit }})
	return s.addr, s.st
}

// setup is what launch varies: the store file, the listener, the
// server's options, the gateway's policy and lanes, and what stands
// between the server and the gateway.
type setup struct {
	path    string
	wrap    func(net.Listener) net.Listener
	options func(*Options)
	policy  bridge.Policy
	lanes   func(log *slog.Logger) []bridge.Lane
	gateway func(Gateway) Gateway
}

type running struct {
	addr string
	st   *store.DB
	srv  *Server
	stop func() // stops it all and closes the store; also run at cleanup
}

// launch runs a real gateway (simulator transport unless lanes says
// otherwise) on the store at su.path and the SMPP server on loopback;
// ESME "esme" has password "pw".
func launch(t *testing.T, su setup) *running {
	t.Helper()
	cfg := configs.Default()
	bcfg, err := bridge.ConfigFrom(cfg)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testLog{t}, nil))
	st, err := store.Open(su.path, store.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	lanes := []bridge.Lane{{Transport: simulator.New(simulator.Config{Name: "simulator", Delay: 10 * time.Millisecond, Logger: log}), Slots: 4}}
	if su.lanes != nil {
		lanes = su.lanes(log)
	}
	var srv *Server
	gw, err := bridge.New(bcfg, bridge.Options{Store: st, Lanes: lanes, Mailer: nopMailer{}, Logger: log, Policy: su.policy,
		Handoff: handoff(func(ctx context.Context, from string, in transport.Inbound) (bool, error) {
			return srv.TakeInbound(ctx, from, in)
		})})
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Gateway: gw, Store: st, Logger: log, Window: 10, SegmentTTL: 10 * time.Minute,
		Verify: func(user, password string) bool { return user == "esme" && password == "pw" }}
	if su.gateway != nil {
		opt.Gateway = su.gateway(gw)
	}
	if su.options != nil {
		su.options(&opt)
	}
	srv = New(opt)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if su.wrap != nil {
		l = su.wrap(l)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { gw.Run(ctx, 5*time.Second) })
	wg.Go(func() { srv.Serve(ctx, l) })
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			st.Close()
		})
	}
	t.Cleanup(stop)
	return &running{addr: l.Addr().String(), st: st, srv: srv, stop: stop}
}

// handoff is a bridge.Handoff of a function.
type handoff func(ctx context.Context, from string, in transport.Inbound) (bool, error)

func (h handoff) TakeInbound(ctx context.Context, from string, in transport.Inbound) (bool, error) {
	return h(ctx, from, in)
}

type esmeEvent struct {
	Event     string `json:"event"`
	Status    uint32 `json:"status"`
	MessageID string `json:"message_id"`
	Text      string `json:"text"`
	ESMClass  int    `json:"esm_class"`
	Source    string `json:"source"`
	Dest      string `json:"dest"`
	Coding    int    `json:"data_coding"`
}

// runESME runs esme.js against addr and returns its events and exit error.
func runESME(t *testing.T, addr, password string, count int) ([]esmeEvent, error) {
	t.Helper()
	_, port, _ := net.SplitHostPort(addr)
	return runNode(t, "esme.js", port, "esme", password, "+14155550100", strconv.Itoa(count))
}

// runNode runs script of the npm peer with args and returns its events
// and exit error.
func runNode(t *testing.T, script string, args ...string) ([]esmeEvent, error) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed (scripts/test installs it)")
	}
	if _, err := exec.Command("node", "-e", "require('"+peerDir+"/node_modules/smpp')").CombinedOutput(); err != nil {
		t.Skip("npm SMPP peer not installed: run `npm ci --prefix transport/smpp/testdata/npm-smsc` (scripts/test does)")
	}
	cmd := exec.Command("node", append([]string{filepath.Join(peerDir, script)}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var events []esmeEvent
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var e esmeEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("esme.js wrote %q", sc.Text())
		}
		t.Logf("esme: %s", sc.Text())
		events = append(events, e)
	}
	return events, cmd.Wait()
}

// TestNpmESME: the npm smpp client binds as a transceiver, its submit_sm
// are answered with the ids of stored messages, and each gets its
// delivery receipt as a deliver_sm it acknowledges.
func TestNpmESME(t *testing.T) {
	addr, st := startServer(t, 0)
	events, err := runESME(t, addr, "pw", 3)
	if err != nil {
		t.Fatalf("esme.js: %v", err)
	}
	ids := map[string]bool{}
	receipts := 0
	for _, e := range events {
		switch e.Event {
		case "bound", "enquire_link_resp":
			if e.Status != 0 {
				t.Errorf("%s status %#x", e.Event, e.Status)
			}
		case "submit_resp":
			if e.Status != 0 {
				t.Fatalf("submit_sm answered %#x", e.Status)
			}
			if _, err := st.Message(e.MessageID); err != nil {
				t.Errorf("submit_sm_resp id %q is no stored message: %v", e.MessageID, err)
			}
			ids[e.MessageID] = true
		case "receipt":
			receipts++
			if !ids[e.MessageID] || !strings.Contains(e.Text, "id:"+e.MessageID) || !strings.Contains(e.Text, "stat:DELIVRD") || e.ESMClass != esmReceipt {
				t.Errorf("receipt %+v", e)
			}
		}
	}
	if len(ids) != 3 || receipts != 3 {
		t.Errorf("%d messages, %d receipts; want 3 and 3", len(ids), receipts)
	}
	// Every receipt was acknowledged, so none is left queued.
	if left, err := st.DueCallbacks(watchOwner+":esme", time.Now().Add(time.Hour), 10); err != nil || len(left) != 0 {
		t.Errorf("receipts left: %v %v", left, err)
	}
}

// TestNpmESMEThrottled: over its rate an ESME's submit_sm get
// ESME_RTHROTTLED, and nothing is stored for them.
func TestNpmESMEThrottled(t *testing.T) {
	addr, _ := startServer(t, 1)
	events, err := runESME(t, addr, "pw", 4)
	if err != nil {
		t.Fatalf("esme.js: %v", err)
	}
	ok, throttled := 0, 0
	for _, e := range events {
		if e.Event == "submit_resp" {
			switch e.Status {
			case 0:
				ok++
			case 0x58:
				throttled++
			default:
				t.Errorf("submit_sm answered %#x", e.Status)
			}
		}
	}
	if ok != 1 || throttled != 3 {
		t.Errorf("%d accepted, %d throttled; want 1 and 3", ok, throttled)
	}
}

// TestNpmESMEBadPassword: a bind with a wrong password is refused
// (ESME_RINVPASWD).
func TestNpmESMEBadPassword(t *testing.T) {
	addr, _ := startServer(t, 0)
	events, err := runESME(t, addr, "nope", 1)
	if err == nil || len(events) == 0 || events[0].Event != "bound" || events[0].Status != 0x0E {
		t.Errorf("events %+v, exit %v; want a refused bind", events, err)
	}
}
