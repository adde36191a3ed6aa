package smpp

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/transport"
)

// npmSMSC is testdata/npm-smsc/smsc.js running: an SMSC written by others
// (the npm "smpp" package), to catch misreadings we share with smsctest.
type npmSMSC struct {
	addr    string
	stdin   io.Writer
	submits chan npmEvent
	other   chan npmEvent

	mu  sync.Mutex
	all []npmEvent // every event, in order
}

type npmEvent struct {
	Event        string `json:"event"`
	Port         int    `json:"port"`
	ID           string `json:"id"`
	Status       uint32 `json:"status"`
	Dest         string `json:"dest"`
	DataCoding   uint8  `json:"data_coding"`
	ESMClass     uint8  `json:"esm_class"`
	UDH          string `json:"udh"`
	ShortMessage string `json:"short_message"`
	Error        string `json:"error"`
	Kind         string `json:"kind"`
	OK           bool   `json:"ok"`
}

func startNPM(t *testing.T, env ...string) *npmSMSC {
	t.Helper()
	dir := filepath.Join("testdata", "npm-smsc")
	node, err := exec.LookPath("node")
	if _, serr := os.Stat(filepath.Join(dir, "node_modules", "smpp")); err != nil || serr != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("npm SMPP peer not installed, and CI must run the interop tests")
		}
		t.Skip("npm SMPP peer not installed: run `npm ci --prefix transport/smpp/testdata/npm-smsc`")
	}
	cmd := exec.Command(node, "smsc.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	n := &npmSMSC{stdin: stdin, submits: make(chan npmEvent, 1000), other: make(chan npmEvent, 1000)}
	go n.read(stdout)
	ev := n.expect(t, "listening")
	n.addr = fmt.Sprintf("127.0.0.1:%d", ev.Port)
	return n
}

func (n *npmSMSC) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var ev npmEvent
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			continue
		}
		n.mu.Lock()
		n.all = append(n.all, ev)
		n.mu.Unlock()
		ch := n.other
		if ev.Event == "submit" {
			ch = n.submits
		}
		select {
		case ch <- ev:
		default: // nobody reads this kind in this test; n.all has it
		}
	}
	close(n.other)
}

// expect returns the next non-submit event of kind, skipping binds.
func (n *npmSMSC) expect(t *testing.T, kind string) npmEvent {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-n.other:
			if !ok {
				t.Fatal("npm SMSC exited")
			}
			if ev.Event == kind {
				return ev
			}
			if ev.Event == "error" {
				t.Fatalf("npm SMSC: %s", ev.Error)
			}
		case <-timeout:
			t.Fatalf("no %q event from the npm SMSC", kind)
		}
	}
}

func (n *npmSMSC) submit(t *testing.T) npmEvent {
	t.Helper()
	select {
	case ev := <-n.submits:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("npm SMSC logged no submit")
	}
	return npmEvent{}
}

func (n *npmSMSC) command(t *testing.T, cmd string) {
	t.Helper()
	if _, err := io.WriteString(n.stdin, cmd+"\n"); err != nil {
		t.Fatal(err)
	}
	n.expect(t, "done")
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestInteropNPM(t *testing.T) {
	t.Run("single", func(t *testing.T) {
		n := startNPM(t)
		tr := startTransport(t, testConfig(n.addr), newRecorder())
		waitUp(t, tr)
		p := gsmPart(t, "+14155550100", "Hello [world] €5")
		id, err := tr.Send(ctxTimeout(t, 5*time.Second), p)
		if err != nil {
			t.Fatal(err)
		}
		ev := n.submit(t)
		if ev.ID != id || ev.Dest != "14155550100" || ev.DataCoding != 0 || ev.UDH != "" || ev.ShortMessage != hex.EncodeToString(p.Payload) {
			t.Errorf("submit %+v, want id %s payload %x", ev, id, p.Payload)
		}
	})
	t.Run("udh", func(t *testing.T) {
		n := startNPM(t)
		tr := startTransport(t, testConfig(n.addr), newRecorder())
		waitUp(t, tr)
		text := strings.Repeat("0123456789ab", 35) // 420 septets: 3 parts
		septets, _ := sms.EncodeGSM7(text)
		for seq := 1; seq <= 3; seq++ {
			chunk := septets[(seq-1)*153 : min(seq*153, len(septets))]
			p := &transport.Part{To: "+14155550100", Encoding: sms.GSM7, Payload: chunk, Ref: 42, Seq: seq, Total: 3}
			if _, err := tr.Send(ctxTimeout(t, 5*time.Second), p); err != nil {
				t.Fatal(err)
			}
		}
		var joined []byte
		for seq := 1; seq <= 3; seq++ {
			ev := n.submit(t)
			if ev.ESMClass&0x40 == 0 || ev.UDH != hex.EncodeToString(sms.UDH(42, seq, 3)) {
				t.Errorf("part %d: %+v", seq, ev)
			}
			joined = append(joined, unhex(t, ev.ShortMessage)...)
		}
		if got := sms.DecodeGSM7(joined); got != text {
			t.Errorf("reassembled %q, want %q", got, text)
		}
	})
	t.Run("ucs2", func(t *testing.T) {
		n := startNPM(t)
		tr := startTransport(t, testConfig(n.addr), newRecorder())
		waitUp(t, tr)
		p := &transport.Part{To: "+14155550100", Encoding: sms.UCS2, Payload: sms.EncodeUCS2("Привет, мир")}
		if _, err := tr.Send(ctxTimeout(t, 5*time.Second), p); err != nil {
			t.Fatal(err)
		}
		ev := n.submit(t)
		if ev.DataCoding != 8 || sms.DecodeUCS2(unhex(t, ev.ShortMessage)) != "Привет, мир" {
			t.Errorf("submit %+v", ev)
		}
	})
	for _, env := range []string{"SMSC_RECEIPT_ID_DECIMAL=0", "SMSC_RECEIPT_ID_DECIMAL=1"} {
		t.Run("receipt/"+env, func(t *testing.T) {
			n := startNPM(t, env)
			rec := newRecorder()
			tr := startTransport(t, testConfig(n.addr), rec)
			waitUp(t, tr)
			p := gsmPart(t, "+14155550100", "receipt please")
			p.Receipt = true
			id, err := tr.Send(ctxTimeout(t, 5*time.Second), p)
			if err != nil {
				t.Fatal(err)
			}
			rec.waitFor(t, 5*time.Second, func(r *recorder) bool { return len(r.receipts) == 1 })
			if got := rec.receipts[0]; got.MessageID != id || got.State != transport.StateDelivered {
				t.Errorf("receipt %+v, want id %s delivered", got, id)
			}
		})
	}
	t.Run("throttle", func(t *testing.T) {
		n := startNPM(t)
		tr := startTransport(t, testConfig(n.addr), newRecorder())
		waitUp(t, tr)
		n.command(t, `{"cmd":"throttle","n":1}`)
		_, err := tr.Send(ctxTimeout(t, 5*time.Second), gsmPart(t, "+14155550100", "x"))
		if !strings.Contains(fmt.Sprint(err), "ESME_RTHROTTLED") || transport.IsPermanent(err) {
			t.Errorf("throttled: %v", err)
		}
		if _, err := tr.Send(ctxTimeout(t, 5*time.Second), gsmPart(t, "+14155550100", "x")); err != nil {
			t.Errorf("after throttle: %v", err)
		}
	})
	t.Run("mo", func(t *testing.T) {
		n := startNPM(t)
		rec := newRecorder()
		tr := startTransport(t, testConfig(n.addr), rec)
		waitUp(t, tr)
		n.command(t, `{"cmd":"mo","from":"+14155550199","to":"12345","text":"Reply from a phone"}`)
		rec.waitFor(t, 5*time.Second, func(r *recorder) bool { return len(r.inbound) == 1 })
		if in := rec.inbound[0]; in.From != "+14155550199" || in.To != "12345" || in.Text != "Reply from a phone" {
			t.Errorf("inbound %+v", in)
		}
	})
}
