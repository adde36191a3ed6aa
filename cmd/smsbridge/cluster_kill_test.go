package main

import (
	"fmt"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/smtpsink"
)

// Cluster kill test shape: the account's binds and window, the lease after
// which a killed node's parts are taken over, the load's concurrency.
const (
	killTestWindow   = 10
	killTestBinds    = 3
	killTestLeaseTTL = 3 * time.Second
	killTestSenders  = 12
)

// TestClusterKillNodes: three gateways form a JetStream cluster (three
// copies) and share one SMSC account; the SMSC sends each receipt over
// another gateway's bind. Under load, one node is killed with SIGKILL,
// restarted, then another. Every mail answered 250 reaches the SMSC, the
// parts sent twice are at most what the killed nodes had in flight,
// every SMS's receipt is matched and one report written for each mail
// (handed on again at most once per kill, the same mail).
// With two nodes of three down, the third answers 451 4.3.0 and /readyz
// 503.
func TestClusterKillNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("three gateways under load for about a minute")
	}
	began := time.Now()
	mails := 1500
	if s := os.Getenv("SMSBRIDGE_CLUSTER_MAILS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 100 || n > 999999 {
			t.Fatalf("SMSBRIDGE_CLUSTER_MAILS=%q: want 100 to 999999", s)
		}
		mails = n
	}
	smsc := startSharedSMSC(t)
	sink, err := smtpsink.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	nodes := newClusterNodes(t, smsc.addr, sink.Addr(), killTestLeaseTTL, killTestWindow, killTestBinds)
	defer writeClusterLogs(t, nodes)
	for _, n := range nodes {
		n.start()
	}
	for _, n := range nodes {
		n.waitUp(60 * time.Second)
	}
	t.Logf("cluster up in %s", time.Since(began).Round(time.Millisecond))

	loadStart := time.Now()
	load := startClusterLoad(nodes, mails)
	// The load is paced so that both kills and restarts fall within it.
	kill := func(n *clusterNode, at, restartAt float64) {
		load.waitSent(at)
		n.kill()
		down := time.Now()
		t.Logf("%s killed after %d mails", n.name, load.sent.Load())
		load.waitSent(restartAt)
		if d := time.Until(down.Add(killTestLeaseTTL + time.Second)); d > 0 {
			time.Sleep(d) // the others take its parts over meanwhile
		}
		n.start()
		n.waitUp(60 * time.Second)
		t.Logf("%s back after %s down, %d mails sent", n.name, time.Since(down).Round(time.Millisecond), load.sent.Load())
	}
	kill(nodes[1], 0.15, 0.35)
	kill(nodes[2], 0.55, 0.75)
	res := load.wait()
	loadTime := time.Since(loadStart)

	accepted := map[string]string{} // token -> Message-ID, of mails answered 250
	codes := map[int]int{}
	for i, r := range res {
		codes[r.code]++
		if r.code == 250 {
			accepted[clusterToken(i)] = clusterMessageID(i)
		}
	}
	t.Logf("%d mails sent: replies %v (0: no reply, the node was down or killed)", mails, codes)
	if len(accepted) < mails/2 {
		t.Fatalf("only %d of %d mails accepted", len(accepted), mails)
	}

	// Every accepted mail reaches the SMSC and gets its report.
	var submits map[string]int
	var reports map[string]int
	missing := func() (sms, rep []string) {
		submits, _, _, _ = smsc.counts()
		reports = reportsByMessageID(sink.Mails())
		for tok, id := range accepted {
			if submits[tok] == 0 {
				sms = append(sms, tok)
			}
			if reports[id] == 0 {
				rep = append(rep, id)
			}
		}
		return sms, rep
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		sms, rep := missing()
		if len(sms) == 0 && len(rep) == 0 {
			break
		}
		if time.Now().After(deadline) {
			_, acked, other, refused := smsc.counts()
			t.Fatalf("60s after the load, %d accepted mails never reached the SMSC (%v) and %d have no report (%v); receipts acknowledged %d (%d over another bind), refused %v",
				len(sms), firstFew(sms), len(rep), firstFew(rep), acked, other, refused)
		}
		time.Sleep(250 * time.Millisecond)
	}
	settled := time.Since(loadStart)
	time.Sleep(2 * time.Second) // a report mailed twice would come now
	submits, smscReceipts, otherBind, refused := smsc.counts()

	dups, dupTokens := 0, []string{}
	for tok, n := range submits {
		if n > 1 {
			dups += n - 1
			dupTokens = append(dupTokens, tok)
		}
		if _, ok := accepted[tok]; !ok {
			t.Logf("%s reached the SMSC without a 250 (its node was killed after the data)", tok)
		}
	}
	// A part is sent twice only when its node was killed between the
	// submit_sm and the record of its response: at most the window of
	// each bind it held, and a node holds at most the account's binds.
	bound := 2 * killTestWindow * killTestBinds
	if dups > bound {
		t.Errorf("%d parts sent twice (%v), more than the %d the two kills had in flight at most", dups, dupTokens, bound)
	}
	// One report per mail. The same report may be handed on twice: when
	// its node is killed between the smarthost's answer and the mail's
	// removal from the outbox, the node that takes over sends it again,
	// the same mail (its Message-ID); a node sends one mail at a time, so
	// at most once per kill.
	twice, resent := 0, 0
	for id, byReport := range reportIDs(sink.Mails()) {
		if len(byReport) > 1 {
			twice++
			t.Errorf("%d reports written for %s: %v", len(byReport), id, byReport)
		}
		for _, n := range byReport {
			resent += n - 1
		}
	}
	if resent > 2 {
		t.Errorf("%d reports handed on again; the two kills can have interrupted at most 2", resent)
	}
	if otherBind == 0 {
		t.Errorf("no receipt of %d came over another gateway's bind", smscReceipts)
	}
	t.Logf("accepted %d of %d; refused %d (451 %d), no reply %d; submits %d, parts sent twice %d (bound %d); receipts %d (%d over another bind, refused %v); reports %d (two for one mail %d, one handed on again %d); load %s, all delivered and reported %s after its start",
		len(accepted), mails, mails-len(accepted)-codes[0], codes[451], codes[0], sum(submits), dups, bound,
		smscReceipts, otherBind, refused, len(sink.Mails()), twice, resent, loadTime.Round(time.Millisecond), settled.Round(time.Millisecond))

	checkNoQuorum(t, nodes)
	t.Logf("whole test %s", time.Since(began).Round(time.Millisecond))
}

// checkNoQuorum kills two nodes: the third refuses mail with 451 4.3.0,
// never 250, and its /readyz is 503.
func checkNoQuorum(t *testing.T, nodes []*clusterNode) {
	t.Helper()
	nodes[1].kill()
	nodes[2].kill()
	survivor := nodes[0]
	for i := range 3 {
		body := []byte(fmt.Sprintf("Subject: alone %d\r\nMessage-ID: <alone-%d@killtest>\r\n\r\nno quorum\r\n", i, i))
		r := sendClusterMail(survivor.smtp, "load@example.com", fmt.Sprintf("1415399%04d@sms.test", i), body)
		if r.code == 250 || !strings.HasPrefix(r.text, "451 4.3.0") {
			t.Errorf("mail %d to the last node of three: %d %q, want 451 4.3.0", i, r.code, r.text)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, err := survivor.readyz()
		if code == 503 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("/readyz of the last node of three: %d %v, want 503", code, err)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func clusterToken(i int) string     { return fmt.Sprintf("T%06d", i) }
func clusterMessageID(i int) string { return fmt.Sprintf("<m%06d@killtest>", i) }

// reportIDs counts, for each mail's Message-ID, the deliveries of each of
// its reports by the report's own Message-ID.
func reportIDs(ms []smtpsink.Mail) map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, m := range ms {
		msg, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
		if err != nil || !strings.HasPrefix(msg.Header.Get("Subject"), "Delivered:") {
			continue
		}
		orig := msg.Header.Get("In-Reply-To")
		if out[orig] == nil {
			out[orig] = map[string]int{}
		}
		out[orig][msg.Header.Get("Message-ID")]++
	}
	return out
}

// reportsByMessageID counts the delivery reports by the Message-ID of the
// mail they report on.
func reportsByMessageID(ms []smtpsink.Mail) map[string]int {
	out := map[string]int{}
	for _, m := range ms {
		msg, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
		if err != nil {
			continue
		}
		if strings.HasPrefix(msg.Header.Get("Subject"), "Delivered:") {
			out[msg.Header.Get("In-Reply-To")]++
		}
	}
	return out
}

// firstFew is at most ten of ss, for a message.
func firstFew(ss []string) []string {
	return ss[:min(len(ss), 10)]
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// clusterLoad sends mails to the nodes that are up, in turn, from a few
// senders at once, offered at total/20s a second: the load lasts 20s or,
// when the gateways take less, longer.
type clusterLoad struct {
	sent    atomic.Int64
	total   int
	results []sendResult
	done    chan struct{}
}

func startClusterLoad(nodes []*clusterNode, total int) *clusterLoad {
	l := &clusterLoad{total: total, results: make([]sendResult, total), done: make(chan struct{})}
	next := make(chan int)
	go func() {
		tick := time.NewTicker(20 * time.Second / time.Duration(total))
		defer tick.Stop()
		for i := range total {
			<-tick.C
			next <- i
		}
		close(next)
	}()
	var wg sync.WaitGroup
	var turn atomic.Int64
	for range killTestSenders {
		wg.Go(func() {
			for i := range next {
				l.results[i] = l.send(nodes, int(turn.Add(1)), i)
				l.sent.Add(1)
			}
		})
	}
	go func() { wg.Wait(); close(l.done) }()
	return l
}

// send sends mail i to the turn-th node that is up.
func (l *clusterLoad) send(nodes []*clusterNode, turn, i int) sendResult {
	var up []*clusterNode
	for _, n := range nodes {
		if n.isUp() {
			up = append(up, n)
		}
	}
	if len(up) == 0 {
		return sendResult{text: "no node up"}
	}
	n := up[turn%len(up)]
	body := fmt.Sprintf("From: load@example.com\r\nSubject: load %d\r\nMessage-ID: %s\r\n\r\ntoken %s\r\n",
		i, clusterMessageID(i), clusterToken(i))
	return sendClusterMail(n.smtp, "load@example.com", fmt.Sprintf("1415%07d@sms.test", 2000000+i), []byte(body))
}

// waitSent waits until the fraction f of the mails has been sent, or the
// load is over.
func (l *clusterLoad) waitSent(f float64) {
	for int(l.sent.Load()) < int(f*float64(l.total)) {
		select {
		case <-l.done:
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (l *clusterLoad) wait() []sendResult {
	<-l.done
	return l.results
}
