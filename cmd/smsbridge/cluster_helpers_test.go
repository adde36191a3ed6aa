package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/smtp"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// clusterNodeConfig is one of three gateways of a cluster sharing one
// SMSC account; %PEERS% are the other two nodes' route listeners.
const clusterNodeConfig = `
[smtp]
listen = ["%SMTP%"]
hostname = "%NAME%.test"
domains = ["sms.test"]
max_connections_per_ip = 0
max_in_flight = 0
max_inflight_per_client = 0

[limits]
mails_per_minute = 0
parts_per_day = 0
recipients_per_mail = 0

[store]
backend = "nats"
path = "%DIR%/data/smsbridge.db"

[cluster]
name = "killtest"
listen = "%ROUTE%"
peers = [%PEERS%]
client_listen = "%CLIENT%"
replicas = 3
lease_ttl = "%TTL%"
instance = "%NAME%"

[http]
listen = "%HTTP%"

[[transports]]
name = "smsc"
type = "smpp"
address = "%SMSC%"
window = %WINDOW%
binds = %BINDS%
# A receipt over another gateway's bind matches no id this one issued:
# the transport waits this long for its own submit_sm_resp first.
response_timeout = "2s"

[receipts]
mode = "all"
smarthost = "%SINK%"
smarthost_tls = "none"
from = "smsbridge@sms.test"
`

// clusterNode is one gateway of the test cluster: its ports stay the same
// across restarts, and so does its data directory.
type clusterNode struct {
	t      *testing.T
	name   string
	dir    string
	config string
	smtp   string
	http   string
	route  string

	mu   sync.Mutex
	proc *exec.Cmd
	log  *syncBuffer
	done chan struct{}
	up   bool // accepting mail: started and not killed since
}

// newClusterNodes writes the configuration files of three nodes.
func newClusterNodes(t *testing.T, smsc, sink string, ttl time.Duration, window, binds int) []*clusterNode {
	t.Helper()
	nodes := make([]*clusterNode, 3)
	for i := range nodes {
		nodes[i] = &clusterNode{t: t, name: fmt.Sprintf("gw%d", i+1), dir: t.TempDir(),
			smtp: freePort(t), http: freePort(t), route: freePort(t)}
	}
	for i, n := range nodes {
		var peers []string
		for j, p := range nodes {
			if j != i {
				peers = append(peers, strconv.Quote(p.route))
			}
		}
		n.config = writeConfig(t, n.dir, strings.NewReplacer(
			"%SMTP%", n.smtp, "%NAME%", n.name, "%ROUTE%", n.route, "%PEERS%", strings.Join(peers, ", "),
			"%CLIENT%", freePort(t), "%TTL%", ttl.String(), "%HTTP%", n.http, "%SMSC%", smsc,
			"%WINDOW%", strconv.Itoa(window), "%BINDS%", strconv.Itoa(binds), "%SINK%", sink,
		).Replace(clusterNodeConfig))
		t.Cleanup(func() {
			n.kill()
			if t.Failed() {
				t.Logf("%s log (end):\n%s", n.name, lastLines(n.logText(), 60))
			}
		})
	}
	return nodes
}

// start runs `smsbridge serve` without waiting: a node's SMTP listens only
// once the cluster has a quorum, so the three start together.
func (n *clusterNode) start() {
	n.t.Helper()
	cmd := exec.Command(smsbridgeBinary(n.t), "serve", "-config", n.config)
	cmd.Dir = n.dir
	log := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	n.mu.Lock()
	if n.log != nil {
		log.Write([]byte(n.log.String() + "--- restarted ---\n"))
	}
	n.proc, n.log, n.done = cmd, log, done
	n.mu.Unlock()
}

// waitUp waits until the node is ready (/readyz 200: its store takes
// writes and its SMSC bind is up), then counts it as up. Its SMTP port
// accepts connections earlier, while the store opens.
func (n *clusterNode) waitUp(within time.Duration) {
	n.t.Helper()
	n.mu.Lock()
	done := n.done
	n.mu.Unlock()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if code, _ := n.readyz(); code == http.StatusOK {
			n.mu.Lock()
			n.up = true
			n.mu.Unlock()
			return
		}
		select {
		case <-done:
			n.t.Fatalf("%s exited at start:\n%s", n.name, lastLines(n.logText(), 40))
		case <-time.After(100 * time.Millisecond):
		}
	}
	n.t.Fatalf("%s not ready within %s:\n%s", n.name, within, lastLines(n.logText(), 40))
}

// kill sends SIGKILL and waits for the process to end.
func (n *clusterNode) kill() {
	n.mu.Lock()
	cmd, done := n.proc, n.done
	n.up = false
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

func (n *clusterNode) isUp() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.up
}

func (n *clusterNode) logText() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.log == nil {
		return ""
	}
	return n.log.String()
}

// readyz is the status code of the node's /readyz.
func (n *clusterNode) readyz() (int, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + n.http + "/readyz")
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// sharedSMSC is the npm SMSC every node binds to, sending each receipt
// over another gateway's bind than the one that submitted.
type sharedSMSC struct {
	addr string

	mu       sync.Mutex
	submits  map[string]int // token -> submits accepted with status 0
	receipts int            // receipts the gateways acknowledged
	other    int            // of them, those sent over a session other than the submitter's
	refused  map[int]int    // receipts answered with an error (-1: not answered in 5s), by status; the SMSC sends them again
}

var tokenPattern = regexp.MustCompile(`T[0-9]{6}`)

func startSharedSMSC(t *testing.T) *sharedSMSC {
	t.Helper()
	cmd := exec.Command(npmNode(t), "smsc.js")
	cmd.Dir = npmPeerDir
	cmd.Env = append(os.Environ(), "SMSC_RECEIPTS_ANY_BIND=1", "SMSC_RECEIPT_DELAY_MS=100")
	cmd.Stderr = testWriter{t}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe() // the peer exits when it closes
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	s := &sharedSMSC{submits: map[string]int{}, refused: map[int]int{}}
	port := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var ev struct {
				Event        string `json:"event"`
				Port         int    `json:"port"`
				Status       int    `json:"status"`
				ShortMessage string `json:"short_message"`
				Other        bool   `json:"other"`
			}
			if json.Unmarshal(sc.Bytes(), &ev) != nil {
				continue
			}
			s.mu.Lock()
			switch ev.Event {
			case "listening":
				port <- ev.Port
			case "submit":
				msg, _ := hex.DecodeString(ev.ShortMessage)
				if tok := tokenPattern.Find(msg); ev.Status == 0 && tok != nil {
					s.submits[string(tok)]++
				}
			case "receipt":
				switch {
				case ev.Status != 0:
					s.refused[ev.Status]++
				case ev.Other:
					s.receipts++
					s.other++
				default:
					s.receipts++
				}
			}
			s.mu.Unlock()
		}
	}()
	select {
	case p := <-port:
		s.addr = "127.0.0.1:" + strconv.Itoa(p)
	case <-time.After(20 * time.Second):
		t.Fatal("npm SMSC did not start within 20s")
	}
	return s
}

// counts are the submits by token, the receipts acknowledged (and of them
// the ones over another session) and those refused.
func (s *sharedSMSC) counts() (submits map[string]int, receipts, other int, refused map[int]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	submits = make(map[string]int, len(s.submits))
	for k, v := range s.submits {
		submits[k] = v
	}
	refused = make(map[int]int, len(s.refused))
	for k, v := range s.refused {
		refused[k] = v
	}
	return submits, s.receipts, s.other, refused
}

// sendResult is how one mail went: 250, a reply code, or no reply at all.
type sendResult struct {
	code int // 250, or the code of the first refusal; 0: the connection failed
	text string
}

// sendClusterMail sends one mail in one SMTP session, bounded in time.
func sendClusterMail(addr, from, rcpt string, body []byte) sendResult {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return sendResult{text: err.Error()}
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	c, err := smtp.NewClient(conn, "127.0.0.1")
	if err != nil {
		return refusal(err)
	}
	defer c.Close()
	if err := c.Mail(from); err != nil {
		return refusal(err)
	}
	if err := c.Rcpt(rcpt); err != nil {
		return refusal(err)
	}
	w, err := c.Data()
	if err != nil {
		return refusal(err)
	}
	if _, err := w.Write(body); err != nil {
		return refusal(err)
	}
	if err := w.Close(); err != nil {
		return refusal(err)
	}
	c.Quit()
	return sendResult{code: 250}
}

func refusal(err error) sendResult {
	var te *textproto.Error
	if errors.As(err, &te) {
		return sendResult{code: te.Code, text: fmt.Sprintf("%d %s", te.Code, te.Msg)}
	}
	return sendResult{text: err.Error()}
}

// writeClusterLogs writes the nodes' whole logs into the directory
// SMSBRIDGE_CLUSTER_LOGS names, if it is set.
func writeClusterLogs(t *testing.T, nodes []*clusterNode) {
	dir := os.Getenv("SMSBRIDGE_CLUSTER_LOGS")
	if dir == "" {
		return
	}
	for _, n := range nodes {
		if err := os.WriteFile(filepath.Join(dir, n.name+".log"), []byte(n.logText()), 0o644); err != nil {
			t.Log(err)
		}
	}
}
