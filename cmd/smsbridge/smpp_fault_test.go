package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/smtp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Whole-path fault tests: mail in over SMTP, the gateway, and the npm SMSC
// scripted into a fault. Afterwards every part of every accepted mail must
// have reached the SMSC at least once, with duplicates bounded by the
// window.

// smscEvent is one line the npm SMSC prints.
type smscEvent struct {
	Event     string `json:"event"`
	Kind      string `json:"kind"`
	Port      int    `json:"port"`
	OK        bool   `json:"ok"`
	Status    int    `json:"status"`
	Dest      string `json:"dest"`
	Source    string `json:"source"`
	SourceTON int    `json:"source_ton"`
	UDH       string `json:"udh"`
}

// scriptedSMSC is the npm SMSC with its command input kept open.
type scriptedSMSC struct {
	addr  string
	stdin io.Writer

	mu     sync.Mutex
	events []smscEvent
	done   []chan struct{} // one per command written, closed at its "done"
}

func startScriptedSMSC(t *testing.T) *scriptedSMSC {
	t.Helper()
	stdout, stdin := runNPMPeer(t)
	s := &scriptedSMSC{stdin: stdin}
	port := make(chan int, 1)
	go s.read(stdout, port)
	select {
	case p := <-port:
		s.addr = "127.0.0.1:" + strconv.Itoa(p)
	case <-time.After(20 * time.Second):
		t.Fatal("npm SMSC did not start within 20s")
	}
	return s
}

func (s *scriptedSMSC) read(r io.Reader, port chan<- int) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var ev smscEvent
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			continue
		}
		s.mu.Lock()
		s.events = append(s.events, ev)
		switch ev.Event {
		case "listening":
			port <- ev.Port
		case "done":
			if len(s.done) > 0 {
				close(s.done[0])
				s.done = s.done[1:]
			}
		}
		s.mu.Unlock()
	}
}

// command sends one command and waits until the SMSC has carried it out.
func (s *scriptedSMSC) command(t *testing.T, c string) {
	t.Helper()
	ch := make(chan struct{})
	s.mu.Lock()
	s.done = append(s.done, ch)
	s.mu.Unlock()
	if _, err := io.WriteString(s.stdin, c+"\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("npm SMSC did not carry out %s", c)
	}
}

// count returns how many events satisfy f.
func (s *scriptedSMSC) count(f func(smscEvent) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, ev := range s.events {
		if f(ev) {
			n++
		}
	}
	return n
}

func taken(ev smscEvent) bool {
	return (ev.Event == "submit" && ev.Status == 0) || (ev.Event == "held" && ev.Kind == "submit_sm")
}

// partsTaken counts the submits the SMSC took (accepted or held
// unanswered) and those it accepted, per destination and part (the UDH
// names the part).
func (s *scriptedSMSC) partsTaken() (took, accepted map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	took, accepted = map[string]int{}, map[string]int{}
	for _, ev := range s.events {
		k := ev.Dest + "/" + partOf(ev.UDH)
		if taken(ev) {
			took[k]++
		}
		if ev.Event == "submit" && ev.Status == 0 {
			accepted[k]++
		}
	}
	return took, accepted
}

// partOf reads "seq of total" from a concatenation UDH in hex.
func partOf(udh string) string {
	if len(udh) != 12 {
		return "1/1"
	}
	return udh[10:12] + "/" + udh[8:10]
}

// waitFor polls cond for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const faultWindow = 4

// faultGatewayConfig: one SMPP transport with short timers, and a route
// whose source overrides the transport's.
const faultGatewayConfig = `
[smtp]
listen = ["127.0.0.1:0"]
hostname = "gw.test"
domains = ["sms.test"]

[sms]
validity = "1h"

[store]
path = "%DIR%/data/smsbridge.db"

[[transports]]
name = "smsc"
type = "smpp"
address = "%SMSC%"
source = "ACME"
window = 4
response_timeout = "400ms"
enquire_link = "200ms"

[[routes]]
prefix = "+1415555"
transports = ["smsc"]
source = "+15550100"

[[routes]]
prefix = "+"
transports = ["smsc"]

[receipts]
mode = "none"
maildir = "%DIR%/mail"
`

// faultRecipients get 3 parts each (alertMail): 12 parts in all.
var faultRecipients = []string{"4151234567@sms.test", "4155550100@sms.test", "4155550101@sms.test", "2125550100@sms.test"}

var faultDests = []string{"14151234567", "14155550100", "14155550101", "12125550100"}

func startFaultGateway(t *testing.T, smsc *scriptedSMSC) string {
	t.Helper()
	dir := t.TempDir()
	cfg := strings.ReplaceAll(faultGatewayConfig, "%SMSC%", smsc.addr)
	return startGateway(t, writeConfig(t, dir, cfg))
}

func sendFaultMail(t *testing.T, addr string) {
	t.Helper()
	if err := smtp.SendMail(addr, nil, "alerts@example.com", faultRecipients, alertMail("alerts@example.com", faultRecipients)); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
}

// checkAllArrived waits until the SMSC has accepted every part of the mail
// at least once (a submit held unanswered does not count: the gateway must
// resend it) and checks that duplicates, counting held submits, stay
// within bound.
func checkAllArrived(t *testing.T, smsc *scriptedSMSC, within time.Duration, bound int) {
	t.Helper()
	var want []string
	for _, d := range faultDests {
		for seq := 1; seq <= 3; seq++ {
			want = append(want, fmt.Sprintf("%s/%02x/03", d, seq))
		}
	}
	missing := func() []string {
		_, got := smsc.partsTaken()
		var out []string
		for _, k := range want {
			if got[k] == 0 {
				out = append(out, k)
			}
		}
		return out
	}
	deadline := time.Now().Add(within)
	for len(missing()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("parts never reached the SMSC within %s: %v", within, missing())
		}
		time.Sleep(50 * time.Millisecond)
	}
	dups := 0
	took, _ := smsc.partsTaken()
	for k, n := range took {
		if !strings.HasSuffix(k, "/03") {
			t.Errorf("unexpected submit %s", k)
		}
		dups += n - 1
	}
	t.Logf("%d parts arrived, %d duplicates (bound %d)", len(want), dups, bound)
	if dups > bound {
		t.Errorf("%d duplicates, more than %d", dups, bound)
	}
}

func TestSMPPFaultsWholePath(t *testing.T) {
	t.Parallel()
	t.Run("throttle storm", func(t *testing.T) {
		t.Parallel()
		smsc := startScriptedSMSC(t)
		addr := startFaultGateway(t, smsc)
		waitFor(t, 5*time.Second, "bind", func() bool { return smsc.count(func(e smscEvent) bool { return e.Event == "bind" }) > 0 })
		smsc.command(t, `{"cmd":"throttle","n":12}`)
		sendFaultMail(t, addr)
		checkAllArrived(t, smsc, 20*time.Second, 0)
		// The route's source (international) and the transport's (alphanumeric).
		sources := map[string]string{}
		smsc.count(func(e smscEvent) bool {
			if e.Event == "submit" {
				sources[e.Dest] = fmt.Sprintf("%s/%d", e.Source, e.SourceTON)
			}
			return false
		})
		for dest, want := range map[string]string{"14155550100": "15550100/1", "14155550101": "15550100/1", "14151234567": "ACME/5", "12125550100": "ACME/5"} {
			if sources[dest] != want {
				t.Errorf("to %s: source %s, want %s", dest, sources[dest], want)
			}
		}
	})
	t.Run("link dropped mid-window", func(t *testing.T) {
		t.Parallel()
		smsc := startScriptedSMSC(t)
		addr := startFaultGateway(t, smsc)
		smsc.command(t, `{"cmd":"hold","on":true}`)
		sendFaultMail(t, addr)
		waitFor(t, 10*time.Second, "a full window held", func() bool { return smsc.count(taken) >= faultWindow })
		smsc.command(t, `{"cmd":"hold","on":false}`)
		smsc.command(t, `{"cmd":"drop"}`)
		checkAllArrived(t, smsc, 20*time.Second, faultWindow)
	})
	t.Run("SMSC stops answering", func(t *testing.T) {
		t.Parallel()
		smsc := startScriptedSMSC(t)
		addr := startFaultGateway(t, smsc)
		waitFor(t, 5*time.Second, "bind", func() bool { return smsc.count(func(e smscEvent) bool { return e.Event == "bind" }) > 0 })
		smsc.command(t, `{"cmd":"silent","on":true}`)
		sendFaultMail(t, addr)
		waitFor(t, 10*time.Second, "a full window held", func() bool { return smsc.count(taken) >= faultWindow })
		time.Sleep(time.Second) // long enough for the link to be declared dead
		smsc.command(t, `{"cmd":"silent","on":false}`)
		checkAllArrived(t, smsc, 20*time.Second, faultWindow)
		if n := smsc.count(func(e smscEvent) bool { return e.Event == "bind" && e.OK }); n < 2 {
			t.Errorf("%d binds: the dead link was not rebound", n)
		}
	})
	t.Run("bind refused", func(t *testing.T) {
		t.Parallel()
		smsc := startScriptedSMSC(t)
		smsc.command(t, `{"cmd":"refuse","n":2,"status":13}`)
		addr := startFaultGateway(t, smsc)
		sendFaultMail(t, addr)
		checkAllArrived(t, smsc, 20*time.Second, 0)
		if n := smsc.count(func(e smscEvent) bool { return e.Event == "bind" }); n != 3 {
			t.Errorf("%d bind attempts, want 2 refused and 1 accepted", n)
		}
	})
	t.Run("permanent error", func(t *testing.T) {
		t.Parallel()
		smsc := startScriptedSMSC(t)
		smsc.command(t, `{"cmd":"reject","status":11}`)
		addr := startFaultGateway(t, smsc)
		sendFaultMail(t, addr)
		refused := func(e smscEvent) bool { return e.Event == "submit" && e.Status == 11 }
		waitFor(t, 10*time.Second, "12 refused submits", func() bool { return smsc.count(refused) >= 12 })
		time.Sleep(3 * time.Second) // past the dispatcher's first retry
		if n := smsc.count(refused); n != 12 {
			t.Errorf("%d submits refused with ESME_RINVDSTADR, want each of 12 parts once (no retry)", n)
		}
	})
}
