package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startBenchGateway runs smsbridge serve on smsbridge-bench.toml with its
// own addresses and returns them and the process id.
func startBenchGateway(t *testing.T) (smtpAddr, smscAddr string, pid int) {
	t.Helper()
	smscAddr = freeAddr(t)
	gw := startGateway(t, smscAddr)
	return gw.smtpAddr, smscAddr, gw.cmd.Process.Pid
}

// benchGateway is one smsbridge serve started by startGateway.
type benchGateway struct {
	smtpAddr  string
	cmd       *exec.Cmd
	queueFile string
}

// stop kills the gateway and waits for it to end, so that its queue file
// can be opened.
func (g benchGateway) stop() {
	g.cmd.Process.Kill()
	g.cmd.Wait()
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// gatewayBinary builds smsbridge once for the test binary.
func gatewayBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "smsbench-test-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "smsbridge")
		if out, err := exec.Command("go", "build", "-o", binPath, "../smsbridge").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// startGateway runs smsbridge serve on smsbridge-bench.toml with an SMTP
// address and a directory of its own, sending to the SMSC at smscAddr.
func startGateway(t *testing.T, smscAddr string) benchGateway {
	t.Helper()
	dir := t.TempDir()
	bin := gatewayBinary(t)
	smtpAddr := freeAddr(t)
	cfg, err := os.ReadFile("smsbridge-bench.toml")
	if err != nil {
		t.Fatal(err)
	}
	conf := strings.NewReplacer("127.0.0.1:2526", smtpAddr, "127.0.0.1:2775", smscAddr).Replace(string(cfg))
	if err := os.WriteFile(filepath.Join(dir, "bench.toml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	gw := exec.Command(bin, "serve", "-config", "bench.toml")
	gw.Dir = dir
	var log bytes.Buffer
	gw.Stderr = &log
	if err := gw.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		gw.Process.Kill()
		gw.Wait()
		if t.Failed() {
			t.Logf("gateway log:\n%s", log.String())
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", smtpAddr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("gateway did not listen")
		}
	}
	return benchGateway{smtpAddr: smtpAddr, cmd: gw, queueFile: filepath.Join(dir, "smsbench-data", "smsbridge.db")}
}

// TestBenchAgainstGateway runs a small load through a real smsbridge serve:
// every mail accepted reaches the built-in SMSC, and the figures add up.
func TestBenchAgainstGateway(t *testing.T) {
	smtpAddr, smscAddr, pid := startBenchGateway(t)
	var out, errOut bytes.Buffer
	args := []string{"-smtp", smtpAddr, "-smsc", smscAddr, "-n", "300", "-c", "10", "-size", "400",
		"-duration", "60s", "-pid", fmt.Sprint(pid), "-json"}
	if code := run(args, &out, &errOut); code != 0 {
		t.Fatalf("smsbench exit %d: %s", code, errOut.String())
	}
	var r result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	t.Logf("%s", out.String())
	if r.Mails != 300 || r.Missing != 0 || r.Errors != 0 {
		t.Errorf("accepted %d, missing %d, errors %d; want 300, 0, 0", r.Mails, r.Missing, r.Errors)
	}
	if r.Parts != 900 {
		t.Errorf("%d parts at the SMSC, want 3 per 400-character mail", r.Parts)
	}
	if r.LatencyP50ms <= 0 || r.LatencyP99ms < r.LatencyP50ms || r.LatencyMaxms < r.LatencyP99ms {
		t.Errorf("latencies out of order: p50 %v p99 %v max %v", r.LatencyP50ms, r.LatencyP99ms, r.LatencyMaxms)
	}
	if r.PeakRSSMiB <= 0 || r.CPUSeconds <= 0 {
		t.Errorf("no gateway figures: CPU %v s, RSS %v MiB", r.CPUSeconds, r.PeakRSSMiB)
	}
}

// TestPriorityProbe runs -priority-probe small: the backlog drains, and
// every urgent mail sent meanwhile reaches the SMSC.
func TestPriorityProbe(t *testing.T) {
	smtpAddr, smscAddr, _ := startBenchGateway(t)
	var out, errOut bytes.Buffer
	args := []string{"-smtp", smtpAddr, "-smsc", smscAddr, "-priority-probe", "-n", "40", "-rcpts", "50", "-c", "4",
		"-probe-rate", "20", "-duration", "30s", "-json"}
	if code := run(args, &out, &errOut); code != 0 {
		t.Fatalf("smsbench exit %d: %s", code, errOut.String())
	}
	var r result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || r.Probe == nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	t.Logf("%s", out.String())
	p := r.Probe
	if p.BacklogParts != 2000 || p.DrainPerSec <= 0 {
		t.Errorf("backlog %d parts drained at %v/s, want 2000 at some rate", p.BacklogParts, p.DrainPerSec)
	}
	if p.Urgent == 0 || p.UrgentMissing != 0 || p.UrgentP99ms < p.UrgentP50ms {
		t.Errorf("urgent: %d sent, %d missing, p50 %v p99 %v", p.Urgent, p.UrgentMissing, p.UrgentP50ms, p.UrgentP99ms)
	}
}

// TestBenchAgainstGateways loads two gateways at once: the mails go to
// each in turn, and the CPU figures are of both processes.
func TestBenchAgainstGateways(t *testing.T) {
	smscAddr := freeAddr(t)
	a, b := startGateway(t, smscAddr), startGateway(t, smscAddr)
	var out, errOut bytes.Buffer
	args := []string{"-smtp", a.smtpAddr + "," + b.smtpAddr, "-smsc", smscAddr, "-n", "200", "-c", "10", "-size", "400",
		"-reuse", "-duration", "60s", "-pid", fmt.Sprint(a.cmd.Process.Pid), "-pid", fmt.Sprint(b.cmd.Process.Pid), "-json"}
	if code := run(args, &out, &errOut); code != 0 {
		t.Fatalf("smsbench exit %d: %s", code, errOut.String())
	}
	var r result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	t.Logf("%s", out.String())
	if r.Mails != 200 || r.Missing != 0 || r.Errors != 0 || r.Parts != 600 {
		t.Errorf("accepted %d, missing %d, errors %d, %d parts; want 200, 0, 0, 600", r.Mails, r.Missing, r.Errors, r.Parts)
	}
	if r.Gateways != 2 || r.Processes != 2 || r.CPUSeconds <= 0 || r.CPUPerMailms <= 0 {
		t.Errorf("%d gateways, %d processes, CPU %v s, %v ms per mail; want 2, 2 and figures", r.Gateways, r.Processes, r.CPUSeconds, r.CPUPerMailms)
	}
	for _, g := range []benchGateway{a, b} {
		g.stop()
		if n := queuedMessages(t, g.queueFile); n != 100 {
			t.Errorf("gateway %s took %d mails, want 100 of the 200", g.smtpAddr, n)
		}
	}
}

// queuedMessages counts the messages in a stopped gateway's queue file.
func queuedMessages(t *testing.T, path string) int {
	t.Helper()
	st, err := store.Open(path, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n := 0
	q := store.ListQuery{Limit: 100}
	for range 10 {
		list, next, err := st.List(q)
		if err != nil {
			t.Fatal(err)
		}
		n += len(list)
		if next == "" {
			return n
		}
		q.Before = next
	}
	t.Fatalf("List of %s does not end after 10 pages", path)
	return 0
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-c", "0"}, {"-mode", "sideways"}, {"extra"}, {"-pid", "x"}, {"-pid", "0"}, {"-smtp", "a,,b"}} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
