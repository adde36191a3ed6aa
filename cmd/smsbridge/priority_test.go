package main

import (
	"fmt"
	"maps"
	"net/smtp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

const priorityConfig = `
[smtp]
listen = ["%SMTP%"]
domains = ["sms.test"]

[limits]
mails_per_minute = 0
parts_per_day = 0
recipients_per_mail = 0

[store]
path = "%DIR%/data/smsbridge.db"

[[transports]]
name = "smsc"
type = "smpp"
address = "%SMSC%"
window = 10

[receipts]
mode = "none"
maildir = "%DIR%/mail"
`

// pacedSMSC records when each submit_sm arrives and answers at most rate
// of them per second, as a slow SMSC does.
type pacedSMSC struct {
	interval time.Duration

	mu      sync.Mutex
	next    time.Time
	arrived []arrival
}

type arrival struct {
	dest string
	at   time.Time
}

func (p *pacedSMSC) onSubmit(sub smsctest.Submit) {
	now := time.Now()
	p.mu.Lock()
	p.arrived = append(p.arrived, arrival{sub.Dest, now})
	p.next = later(p.next, now).Add(p.interval)
	wait := p.next.Sub(now)
	p.mu.Unlock()
	time.Sleep(wait) // the connection answers nothing meanwhile
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (p *pacedSMSC) snapshot() []arrival {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.arrived)
}

// mailAt sends one mail and returns when its end of DATA was written and
// when the 250 came.
func mailAt(addr, from string, to []string, body string) (endOfData, accepted time.Time, err error) {
	c, err := smtp.Dial(addr)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	defer c.Close()
	if err := c.Mail(from); err != nil {
		return time.Time{}, time.Time{}, err
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			return time.Time{}, time.Time{}, err
		}
	}
	w, err := c.Data()
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if _, err := w.Write([]byte(body)); err != nil {
		return time.Time{}, time.Time{}, err
	}
	endOfData = time.Now()
	if err := w.Close(); err != nil {
		return time.Time{}, time.Time{}, err
	}
	return endOfData, time.Now(), c.Quit()
}

func numbersFrom(prefix string, first, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%04d@sms.test", prefix, first+i)
	}
	return out
}

// TestUrgentAheadOfBulkBacklog: 10,000 bulk parts are queued against an
// SMSC that answers 200 submits a second, then 20 urgent mails, each
// followed by more bulk mail. Every urgent part reaches the SMSC before
// any bulk part queued after it, and long before the backlog would drain
// (50 s).
func TestUrgentAheadOfBulkBacklog(t *testing.T) {
	t.Parallel()
	pace := &pacedSMSC{interval: time.Second / 200}
	smsc, err := smsctest.Start(smsctest.Options{Forget: true, OnSubmit: pace.onSubmit})
	if err != nil {
		t.Fatal(err)
	}
	defer smsc.Close()
	dir := t.TempDir()
	smtpAddr := freePort(t)
	cfg := writeConfig(t, dir, strings.NewReplacer("%SMTP%", smtpAddr, "%SMSC%", smsc.Addr()).Replace(priorityConfig))
	startDaemon(t, dir, smtpAddr, "-config", cfg)

	// The backlog: 100 mails of 100 numbers each, four senders at once.
	start := time.Now()
	const backlogMails, perMail = 100, 100
	bulkBody := "Subject: offer\r\nPrecedence: bulk\r\n\r\nour weekly offer\r\n"
	var wg sync.WaitGroup
	errs := make(chan error, backlogMails)
	for s := range 4 {
		wg.Go(func() {
			for m := s; m < backlogMails; m += 4 {
				// Numbers +1415 20m nnnn: mail m, recipient n.
				if _, _, err := mailAt(smtpAddr, "news@example.com", numbersFrom(fmt.Sprintf("1415%03d", 200+m), 0, perMail), bulkBody); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("queueing the backlog: %v", err)
	}
	queuedAt := time.Now()

	// Twenty urgent mails, each followed by a bulk mail queued after it.
	type sent struct {
		dest      string
		endOfData time.Time
	}
	var urgent []sent
	bulkAfter := map[string]int{} // destination (E.164 without "+", as in submit_sm) → the urgent mail it came after
	for i := range 20 {
		to := fmt.Sprintf("1415777%04d@sms.test", i)
		eod, _, err := mailAt(smtpAddr, "monitor@example.com", []string{to},
			fmt.Sprintf("Subject: login code\r\nX-Priority: 1\r\nImportance: high\r\n\r\nyour code is %04d\r\n", i))
		if err != nil {
			t.Fatalf("urgent mail %d: %v", i, err)
		}
		urgent = append(urgent, sent{strings.TrimSuffix(to, "@sms.test"), eod})
		after := numbersFrom("1415888", 10*i, 10)
		if _, _, err := mailAt(smtpAddr, "news@example.com", after, bulkBody); err != nil {
			t.Fatalf("bulk mail after urgent %d: %v", i, err)
		}
		for _, a := range after {
			bulkAfter[strings.TrimSuffix(a, "@sms.test")] = i
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Wait (bounded) for every urgent part at the SMSC.
	deadline := time.Now().Add(20 * time.Second)
	var arrived []arrival
	index := map[string]int{}
	for {
		arrived = pace.snapshot()
		clear(index)
		for i, a := range arrived {
			if _, seen := index[a.dest]; !seen {
				index[a.dest] = i
			}
		}
		missing := 0
		for _, u := range urgent {
			if _, ok := index[u.dest]; !ok {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d urgent parts never reached the SMSC (%d submits so far)", missing, len(arrived))
		}
		time.Sleep(20 * time.Millisecond)
	}
	var worst time.Duration
	for i, u := range urgent {
		a := arrived[index[u.dest]]
		took := a.at.Sub(u.endOfData)
		worst = max(worst, took)
		t.Logf("urgent mail %2d: end of DATA → submit_sm %v (submit %d at the SMSC)", i, took.Round(100*time.Microsecond), index[u.dest])
		for j, b := range arrived[:index[u.dest]] {
			if k, ok := bulkAfter[b.dest]; ok && k >= i {
				t.Errorf("bulk part to %s (queued after urgent mail %d) reached the SMSC at %d, before urgent mail %d", b.dest, k, j, i)
			}
		}
	}
	last := slices.Max(slices.Collect(maps.Values(index)))
	if last >= backlogMails*perMail {
		t.Errorf("the last urgent part was submit %d: behind the whole backlog of %d", last, backlogMails*perMail)
	}
	t.Logf("%d bulk parts queued in %v; the last urgent part was submit %d at the SMSC; slowest urgent %v",
		backlogMails*perMail, queuedAt.Sub(start).Round(time.Millisecond), last, worst.Round(time.Millisecond))
}
