package main

import (
	"bufio"
	"encoding/json"
	"net"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

// esmeEvent is one line of the npm peer's esme-long.js.
type esmeEvent struct {
	Event     string `json:"event"`
	Status    uint32 `json:"status"`
	MessageID string `json:"message_id"`
	Text      string `json:"text"`
}

// runNpmESME runs the npm peer's esme-long.js with args and returns its
// events; it fails the test if the script does not end well.
func runNpmESME(t *testing.T, args ...string) []esmeEvent {
	t.Helper()
	cmd := exec.Command(npmNode(t), append([]string{"esme-long.js"}, args...)...)
	cmd.Dir = npmPeerDir
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
			t.Fatalf("esme-long.js wrote %q", sc.Text())
		}
		events = append(events, e)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("esme-long.js %v: %v; events %+v", args, err, events)
	}
	return events
}

// TestSMPPSegmentsSurviveKill: two of three segments of a concatenated
// submit_sm are stored, smsbridge is killed (SIGKILL) and started again;
// the third segment completes the message, which is sent whole, and the
// ESME gets a receipt for each of the three segments' ids.
func TestSMPPSegmentsSurviveKill(t *testing.T) {
	smsc, err := smsctest.Start(smsctest.Options{ReceiptDelay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer smsc.Close()
	dir := t.TempDir()
	smtpAddr, smppAddr := freePort(t), freePort(t)
	cfg := writeConfig(t, dir, strings.NewReplacer("%SMTP%", smtpAddr, "%HASH%", cheapHash(t, "kpw"),
		"%SMSC%", smsc.Addr(), "%SMPPSERVER%", smppAddr).Replace(esmeGatewayConfig))
	_, port, _ := net.SplitHostPort(smppAddr)
	ids := func(events []esmeEvent, kind string) []string {
		var out []string
		for _, e := range events {
			if e.Event == kind {
				if e.Event == "submit_resp" && e.Status != 0 {
					t.Errorf("submit_sm answered %#x", e.Status)
				}
				out = append(out, e.MessageID)
			}
		}
		return out
	}

	d := startDaemon(t, dir, smtpAddr, "-config", cfg)
	first := ids(runNpmESME(t, port, "kannel", "kpw", "udh", "+14155550100", "77", "3", "1,2", "0"), "submit_resp")
	d.kill()
	if n := len(smsc.Submits()); n != 0 {
		t.Fatalf("%d submits before the message was complete", n)
	}
	startDaemon(t, dir, smtpAddr, "-config", cfg)
	events := runNpmESME(t, port, "kannel", "kpw", "udh", "+14155550100", "77", "3", "3", "3")
	all := append(first, ids(events, "submit_resp")...)
	got := ids(events, "receipt")
	slices.Sort(all)
	slices.Sort(got)
	if len(all) != 3 || !slices.Equal(all, got) {
		t.Errorf("receipts for %v, want one for each segment %v", got, all)
	}
	var sent strings.Builder
	for _, s := range smsc.Submits() {
		sent.Write(s.ShortMessage)
	}
	if want := "segment 1 of 3. segment 2 of 3. segment 3 of 3."; sent.String() != want {
		t.Errorf("sent %q, want %q", sent.String(), want)
	}
}
