package bridge

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport/smpp"
	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

// inDoubtCounter is an Observer that counts what happens in doubt.
type inDoubtCounter struct {
	nopObserver
	mu                          sync.Mutex
	inDoubt, resends, duplicate int
}

func (c *inDoubtCounter) SubmitInDoubt(string) { c.mu.Lock(); c.inDoubt++; c.mu.Unlock() }
func (c *inDoubtCounter) InDoubtResend(string) { c.mu.Lock(); c.resends++; c.mu.Unlock() }
func (c *inDoubtCounter) DuplicateDetected(string) {
	c.mu.Lock()
	c.duplicate++
	c.mu.Unlock()
}

func (c *inDoubtCounter) counts() (inDoubt, resends, duplicates int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inDoubt, c.resends, c.duplicate
}

// startSMSC runs a fake SMSC until the test ends.
func startSMSC(t *testing.T, opt smsctest.Options) *smsctest.Server {
	t.Helper()
	srv, err := smsctest.Start(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// runGateway runs g until the test ends, then closes st.
func runGateway(t *testing.T, g *Gateway, st *store.DB) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { g.Run(ctx, 5*time.Second); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		st.Close()
	})
}

// checkSubmitsPerPart fails unless the SMSC took parts distinct parts,
// each want times.
func checkSubmitsPerPart(t *testing.T, srv *smsctest.Server, parts, want int) {
	t.Helper()
	per := submitsPerPart(srv)
	if len(per) != parts {
		t.Errorf("%d distinct parts at the SMSC, want %d", len(per), parts)
	}
	for part, n := range per {
		if n != want {
			t.Errorf("%s submitted %d times, want %d", part, n, want)
		}
	}
}

// smscRig is a gateway sending through a real SMPP transport to the fake SMSC.
type smscRig struct {
	srv    *smsctest.Server
	g      *Gateway
	st     *store.DB
	mailer *fakeMailer
	obs    *inDoubtCounter
}

// startSMSCRig runs a gateway on st (a new store when nil) with one smpp
// lane; response timeout 100 ms.
func startSMSCRig(t *testing.T, srv *smsctest.Server, st *store.DB, limit time.Duration, resends int) *smscRig {
	t.Helper()
	if st == nil {
		var err error
		if st, err = store.Open(filepath.Join(t.TempDir(), "q.db"), store.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	tr, err := smpp.New(smpp.Config{Name: "smsc", Address: srv.Addr(), Window: 10, Source: "SMSBRIDGE",
		ResponseTimeout: 100 * time.Millisecond, EnquireLink: time.Second, InDoubtLimit: limit, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	r := &smscRig{srv: srv, st: st, mailer: newFakeMailer(), obs: &inDoubtCounter{}}
	r.g, err = New(testConfig(), Options{Store: st, Mailer: r.mailer, Logger: log, Observer: r.obs,
		Lanes: []Lane{{Transport: tr, Slots: 10, InDoubtLimit: limit, MaxInDoubtResends: resends}}})
	if err != nil {
		t.Fatal(err)
	}
	runGateway(t, r.g, st)
	return r
}

// mail queues one mail of text to each number given, and returns the ids.
func (r *smscRig) mail(t *testing.T, n int, text string) []string {
	t.Helper()
	var ids []string
	for i := range n {
		id, err := submit(t, r.g, "ops@example.com", []string{fmt.Sprintf("41555501%02d@sms.test", i)},
			fmt.Sprintf("Subject: alert %d\r\n\r\n%s %d\r\n", i, text, i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// submitsPerPart counts the submit_sm the SMSC took per (number, UDH, text).
func submitsPerPart(srv *smsctest.Server) map[string]int {
	per := map[string]int{}
	for _, s := range srv.Submits() {
		per[fmt.Sprintf("%s %x %s", s.Dest, s.UDH, s.Text())]++
	}
	return per
}

// reportsOf waits for n reports and returns their bodies.
func (r *smscRig) reportsOf(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for _, m := range r.mailer.wait(t, n) {
		out = append(out, string(m.Data))
	}
	return out
}

func countContaining(ss []string, sub string) int {
	n := 0
	for _, s := range ss {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

// A slow SMSC (answers after 1, 3 and 10 times the response timeout, within
// the in-doubt limit): every part is submitted once and delivered, its
// receipt matched; nothing is sent twice.
func TestSlowSMSCSendsEachPartOnce(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("The disk on db1 is nearly full. ", 6) // two parts
	for _, factor := range []int{1, 3, 10} {
		t.Run(fmt.Sprintf("%dx", factor), func(t *testing.T) {
			t.Parallel()
			srv := startSMSC(t, smsctest.Options{ReceiptDelay: 20 * time.Millisecond})
			srv.SetRespDelay(time.Duration(factor)*100*time.Millisecond + 25*time.Millisecond)
			r := startSMSCRig(t, srv, nil, 2*time.Second, 1)
			r.mail(t, 5, long)
			reports := r.reportsOf(t, 5)
			if n := countContaining(reports, "Subject: Delivered:"); n != 5 {
				t.Errorf("%d of 5 reports say delivered:\n%s", n, strings.Join(reports, "\n----\n"))
			}
			checkSubmitsPerPart(t, srv, 10, 1) // 5 mails × 2 parts, once each
			if inDoubt, resends, dups := r.obs.counts(); resends != 0 || dups != 0 || (factor > 1 && inDoubt == 0) {
				t.Errorf("in doubt %d, resends %d, duplicates %d", inDoubt, resends, dups)
			}
		})
	}
}

// Past the in-doubt limit a part is sent again once; the first send's late
// answer is matched: two ids for the part, a duplicate counted, the report
// saying it may have reached the phone twice.
func TestInDoubtLimitResendsOnceAndMatchesLateAnswer(t *testing.T) {
	t.Parallel()
	srv := startSMSC(t, smsctest.Options{ReceiptDelay: 20 * time.Millisecond})
	srv.SetRespDelay(time.Second) // 10× the response timeout, past the limit
	r := startSMSCRig(t, srv, nil, 300*time.Millisecond, 1)
	ids := r.mail(t, 3, "disk full")
	if _, err := srv.WaitSubmits(ctxT(t, 5*time.Second), 3); err != nil {
		t.Fatal(err)
	}
	srv.SetRespDelay(0) // the resends are answered at once
	reports := r.reportsOf(t, 3)
	if n := countContaining(reports, "Subject: Delivered:"); n != 3 {
		t.Errorf("%d of 3 reports say delivered", n)
	}
	if n := countContaining(reports, "may have reached the phone twice"); n != 3 {
		t.Errorf("%d of 3 reports say the SMS may have come twice:\n%s", n, strings.Join(reports, "\n----\n"))
	}
	checkSubmitsPerPart(t, srv, 3, 2) // 1 + 1 resend
	waitFor(t, func() bool { _, _, dups := r.obs.counts(); return dups == 3 })
	for _, id := range ids {
		m, err := r.st.Message(id)
		if err != nil {
			t.Fatal(err)
		}
		p := m.Recipients[0].Parts[0]
		if p.AlsoID == "" || p.AlsoID == p.TransportID || !p.MaybeTwice() {
			t.Errorf("%s: part %+v, want two ids", id, p)
		}
	}
}

// The link drops while submits are in doubt: each part is sent again once
// after the rebind, and delivered.
func TestLinkDropWhileInDoubtResendsOnce(t *testing.T) {
	t.Parallel()
	srv := startSMSC(t, smsctest.Options{ReceiptDelay: 20 * time.Millisecond, Hold: true})
	r := startSMSCRig(t, srv, nil, time.Minute, 1)
	r.mail(t, 4, "db1 down")
	if _, err := srv.WaitSubmits(ctxT(t, 5*time.Second), 4); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // in doubt: past the response timeout
	srv.SetHold(false)
	srv.DropConnections()
	reports := r.reportsOf(t, 4)
	if n := countContaining(reports, "Subject: Delivered:"); n != 4 {
		t.Errorf("%d of 4 reports say delivered", n)
	}
	checkSubmitsPerPart(t, srv, 4, 2) // 1 + 1 resend
	if inDoubt, resends, _ := r.obs.counts(); inDoubt < 4 || resends != 4 {
		t.Errorf("in doubt %d, resends %d; want at least 4 and 4", inDoubt, resends)
	}
}

// With max_in_doubt_resends = 0 a part in doubt is never sent again: it
// fails, and its report says the phone may have it.
func TestNoInDoubtResendFailsWithReport(t *testing.T) {
	t.Parallel()
	srv := startSMSC(t, smsctest.Options{Hold: true})
	r := startSMSCRig(t, srv, nil, time.Minute, 0)
	r.mail(t, 2, "db1 down")
	if _, err := srv.WaitSubmits(ctxT(t, 5*time.Second), 2); err != nil {
		t.Fatal(err)
	}
	srv.SetHold(false)
	srv.DropConnections()
	reports := r.reportsOf(t, 2)
	if n := countContaining(reports, "the phone may have received it"); n != 2 {
		t.Errorf("%d of 2 reports say the phone may have it:\n%s", n, strings.Join(reports, "\n----\n"))
	}
	time.Sleep(300 * time.Millisecond) // time for a resend that must not come
	if n := len(srv.Submits()); n != 2 {
		t.Errorf("%d submits, want 2 (no resend)", n)
	}
}

// A part recorded as begun but never recorded as submitted (a crash in
// between) is in doubt after the restart: it counts toward the same bound.
func TestRecoveredPartCountsTowardResends(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		resends, crashes, want int // submits the SMSC sees after the restart
	}{{1, 1, 1}, {0, 1, 0}, {1, 2, 0}} {
		t.Run(fmt.Sprintf("resends=%d,crashes=%d", tc.resends, tc.crashes), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "q.db")
			st, err := store.Open(path, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			septets, _ := sms.EncodeGSM7("backup failed")
			now := time.Now()
			m := &store.Message{ID: "M1", Received: now, Expires: now.Add(time.Hour), Sender: "ops@example.com", Subject: "x",
				Recipients: []store.Recipient{{Address: "4155550100@sms.test", Number: "+14155550100", Notify: store.NotifySuccess | store.NotifyFailure,
					Parts: []store.Part{{Encoding: sms.GSM7, Text: "backup failed", Payload: septets, Seq: 1, Total: 1}}}}}
			if err := st.Enqueue(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			k := store.PartKey{Msg: "M1"}
			for i := range tc.crashes {
				if i > 0 {
					if _, err := st.Recover(now); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := st.Begin(context.Background(), []store.PartKey{k}, "smsc", now); err != nil {
					t.Fatal(err)
				}
			}
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			if st, err = store.Open(path, store.Options{}); err != nil {
				t.Fatal(err)
			}
			srv := startSMSC(t, smsctest.Options{ReceiptDelay: 20 * time.Millisecond})
			r := startSMSCRig(t, srv, st, time.Minute, tc.resends)
			report := r.reportsOf(t, 1)[0]
			if n := len(srv.Submits()); n != tc.want {
				t.Errorf("%d submits after the restart, want %d", n, tc.want)
			}
			delivered := strings.Contains(report, "Subject: Delivered:")
			if delivered != (tc.want == 1) || (!delivered && !strings.Contains(report, "the phone may have received it")) {
				t.Errorf("report:\n%s", report)
			}
		})
	}
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
	}
}
