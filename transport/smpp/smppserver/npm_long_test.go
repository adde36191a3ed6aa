package smppserver

import (
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/policy"
	"github.com/smsbridge/smsbridge/transport"
	"github.com/smsbridge/smsbridge/transport/simulator"
)

// TestNpmESMELong: the npm smpp client sends a text in three SAR segments
// and another in message_payload; both are sent whole, and each of the
// four submit_sm gets its receipt.
func TestNpmESMELong(t *testing.T) {
	su, sim := withSim(setup{path: filepath.Join(t.TempDir(), "q.db")})
	r := launch(t, su)
	_, port, _ := net.SplitHostPort(r.addr)
	events, err := runNode(t, "esme-long.js", port, "esme", "pw", "long", dest)
	if err != nil {
		t.Fatalf("esme-long.js: %v", err)
	}
	ids := map[string]bool{}
	receipts := map[string]string{}
	for _, e := range events {
		switch e.Event {
		case "submit_resp":
			if e.Status != 0 || e.MessageID == "" {
				t.Errorf("submit_sm answered %#x %q", e.Status, e.MessageID)
			}
			ids[e.MessageID] = true
		case "receipt":
			receipts[e.MessageID] = e.Text
		}
	}
	if len(ids) != 4 {
		t.Errorf("%d distinct message_ids, want 4", len(ids))
	}
	for id := range ids {
		if !strings.Contains(receipts[id], "stat:DELIVRD") {
			t.Errorf("receipt of %s: %q", id, receipts[id])
		}
	}
	var texts []string
	for _, p := range (*sim).Sent() {
		if p.Seq <= 1 {
			texts = append(texts, p.Text)
		}
	}
	joined := strings.Join(texts, "|")
	if !strings.Contains(joined, "The first third of a long message, the second third, and the last third.") ||
		!strings.Contains(joined, "A long text in message payload: xxx") {
		t.Errorf("sent first parts %q", joined)
	}
}

// TestNpmESMEReceivesMO: SMS from phones to the ESME's numbers, in GSM
// and in UCS-2, reach the npm smpp client bound as a receiver.
func TestNpmESMEReceivesMO(t *testing.T) {
	mo := &moSim{in: make(chan transport.Inbound), done: make(chan error, 1)}
	r := launch(t, setup{path: filepath.Join(t.TempDir(), "q.db"),
		options: func(o *Options) { o.Inbox = func(to string) (string, bool) { return "esme", to == "12345" } },
		lanes: func(log *slog.Logger) []bridge.Lane {
			mo.Simulator = simulator.New(simulator.Config{Name: "simulator", Logger: log})
			return []bridge.Lane{{Transport: mo, Slots: 1}}
		}})
	for _, text := range []string{"hello ESME", "Привет"} {
		mo.in <- transport.Inbound{Transport: "simulator", From: "+14155550199", To: "12345", Text: text, Received: time.Now()}
		if err := <-mo.done; err != nil {
			t.Fatal(err)
		}
	}
	_, port, _ := net.SplitHostPort(r.addr)
	events, err := runNode(t, "esme-long.js", port, "esme", "pw", "receive", "2")
	if err != nil {
		t.Fatalf("esme-long.js: %v", err)
	}
	got := map[string]esmeEvent{}
	for _, e := range events {
		if e.Event == "mo" {
			got[e.Text] = e
		}
	}
	if e := got["hello ESME"]; e.Source != "14155550199" || e.Dest != "12345" || e.Coding != 0 {
		t.Errorf("GSM SMS: %+v (all %+v)", e, got)
	}
	if e := got["Привет"]; e.Coding != codingUCS2 {
		t.Errorf("UCS-2 SMS: %+v (all %+v)", e, got)
	}
}

// TestNpmESMEUserLimit: over its user's mails_per_minute the npm client's
// submit_sm are answered ESME_RTHROTTLED.
func TestNpmESMEUserLimit(t *testing.T) {
	pol, err := policy.New(policy.Config{Users: map[string]policy.User{"esme": {Limits: policy.Limits{MailsPerMinute: 2}}}})
	if err != nil {
		t.Fatal(err)
	}
	r := launch(t, setup{path: filepath.Join(t.TempDir(), "q.db"), policy: pol, options: func(o *Options) { o.AllowUser = pol.AllowUserSend }})
	events, err := runESME(t, r.addr, "pw", 4)
	if err != nil {
		t.Fatalf("esme.js: %v", err)
	}
	status := map[uint32]int{}
	for _, e := range events {
		if e.Event == "submit_resp" {
			status[e.Status]++
		}
	}
	if status[0] != 2 || status[0x58] != 2 {
		t.Errorf("answers %v, want 2 ESME_ROK and 2 ESME_RTHROTTLED", status)
	}
}
