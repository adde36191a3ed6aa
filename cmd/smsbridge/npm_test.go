package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/smtpsink"
	"github.com/smsbridge/smsbridge/sms"
)

const npmPeerDir = "../../transport/smpp/testdata/npm-smsc"

// npmEvent is one line the npm SMSC prints.
type npmEvent struct {
	Event        string `json:"event"`
	Port         int    `json:"port"`
	Dest         string `json:"dest"`
	DataCoding   int    `json:"data_coding"`
	ESMClass     int    `json:"esm_class"`
	UDH          string `json:"udh"`
	ShortMessage string `json:"short_message"`
	Status       int    `json:"status"`
}

// startNPMSMSC runs the SMSC built on the npm package smpp, an SMPP
// implementation independent of ours, and returns its events.
func startNPMSMSC(t *testing.T) (addr string, events <-chan npmEvent) {
	t.Helper()
	stdout, _ := runNPMPeer(t)
	ch := make(chan npmEvent, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var ev npmEvent
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				ch <- ev
			}
		}
		close(ch)
	}()
	select {
	case ev := <-ch:
		if ev.Event != "listening" {
			t.Fatalf("npm SMSC said %+v first", ev)
		}
		return "127.0.0.1:" + strconv.Itoa(ev.Port), ch
	case <-time.After(20 * time.Second):
		t.Fatal("npm SMSC did not start within 20s")
	}
	return "", nil
}

// TestEndToEndNPM is TestEndToEnd against the npm SMSC: the PDUs we send
// must make sense to an implementation we did not write.
func TestEndToEndNPM(t *testing.T) {
	t.Parallel()
	smscAddr, events := startNPMSMSC(t)
	sink, err := smtpsink.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	dir := t.TempDir()
	cfg := strings.NewReplacer("%SMSC%", smscAddr, "%SINK%", sink.Addr()).Replace(smppConfig)
	addr := startGateway(t, writeConfig(t, dir, cfg))

	to := []string{"4151234567@sms.test", "+14155550100@sms.test", "1-415-555-0101@sms.test"}
	if err := smtp.SendMail(addr, nil, "alerts@example.com", to, alertMail("alerts@example.com", to)); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	texts := map[string][]string{}
	timeout := time.After(30 * time.Second)
	for n := 0; n < 9; {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("npm SMSC exited")
			}
			if ev.Event != "submit" {
				continue
			}
			n++
			udh, _ := hex.DecodeString(ev.UDH)
			msg, _ := hex.DecodeString(ev.ShortMessage)
			if ev.DataCoding != 0 || ev.ESMClass&0x40 == 0 || len(udh) != 6 || udh[4] != 3 || ev.Status != 0 {
				t.Errorf("%s: data_coding %d esm_class %#x udh % x status %d", ev.Dest, ev.DataCoding, ev.ESMClass, udh, ev.Status)
				continue
			}
			if texts[ev.Dest] == nil {
				texts[ev.Dest] = make([]string, 4)
			}
			texts[ev.Dest][udh[5]] = sms.DecodeGSM7(msg)
		case <-timeout:
			t.Fatalf("npm SMSC got %d of 9 submits", n)
		}
	}
	want := "Disk alert\n" + alertBody
	for _, dest := range []string{"14151234567", "14155550100", "14155550101"} {
		if got := strings.Join(texts[dest], ""); got != want {
			t.Errorf("%s: reassembled %q, want %q", dest, got, want)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if mails, err := sink.Wait(ctx, 3); err != nil {
		t.Fatalf("%d reports at the sink, want 3: %v", len(mails), err)
	}
}

// npmNode is node, with the npm peer's package installed; without them
// the test is skipped, except under CI.
func npmNode(t *testing.T) string {
	t.Helper()
	node := needTool(t, "node")
	if _, err := os.Stat(filepath.Join(npmPeerDir, "node_modules", "smpp")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("npm SMPP peer not installed, and CI must run this test")
		}
		t.Skipf("npm SMPP peer not installed: run `npm ci --prefix transport/smpp/testdata/npm-smsc` (scripts/test does)")
	}
	return node
}

// runNPMPeer starts the npm SMSC (node smsc.js) and returns its event output
// and its command input; it is stopped when the test ends. Without node or
// the package the test is skipped, except under CI.
func runNPMPeer(t *testing.T) (stdout io.Reader, stdin io.Writer) {
	t.Helper()
	cmd := exec.Command(npmNode(t), "smsc.js")
	cmd.Dir = npmPeerDir
	cmd.Stderr = testWriter{t}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	// The peer reads commands from stdin and exits when it closes.
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close(); cmd.Process.Kill(); cmd.Wait() })
	return out, in
}
