package main

import (
	"context"
	"fmt"
	"net/smtp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

// TestDrainOnSIGTERM: SIGTERM in the middle of a burst of mail. Every mail
// answered 250 reaches the SMSC — before the exit or after a restart — and
// the process exits within its deadline.
func TestDrainOnSIGTERM(t *testing.T) {
	t.Parallel()
	smsc, err := smsctest.Start(smsctest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer smsc.Close()
	dir := t.TempDir()
	smtpAddr := freePort(t)
	cfg := writeConfig(t, dir, strings.NewReplacer("%SMTP%", smtpAddr, "%SMSC%", smsc.Addr()).Replace(durableConfig))
	d := startDaemon(t, dir, smtpAddr, "-config", cfg)

	const senders, perSender = 8, 40
	var mu sync.Mutex
	accepted := map[string]bool{}
	var wg sync.WaitGroup
	started := make(chan struct{})
	var once sync.Once
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perSender {
				number := fmt.Sprintf("1415556%02d%02d", s, i)
				body := fmt.Sprintf("Subject: burst\r\n\r\nmail %d of sender %d\r\n", i, s)
				if smtp.SendMail(smtpAddr, nil, "burst@example.com", []string{number + "@sms.test"}, []byte(body)) != nil {
					return // the server is going away: what was refused is the sender's to retry
				}
				mu.Lock()
				accepted[number] = true
				n := len(accepted)
				mu.Unlock()
				if n == 60 {
					once.Do(func() { close(started) })
				}
			}
		}()
	}
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("burst did not get going")
	}
	begin := time.Now()
	code := d.stop(45 * time.Second)
	took := time.Since(begin)
	wg.Wait()
	if code != 0 {
		t.Errorf("exit status %d after SIGTERM", code)
	}
	t.Logf("SIGTERM after 60 accepted mails; exited in %v; %d mails accepted in all", took.Round(time.Millisecond), len(accepted))

	reached := func() map[string]bool {
		got := map[string]bool{}
		for _, s := range smsc.Submits() {
			if s.Status == 0 && !s.Held {
				got[s.Dest] = true
			}
		}
		return got
	}
	before := len(reached())
	d = startDaemon(t, dir, smtpAddr, "-config", cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		got := reached()
		var missing []string
		for n := range accepted {
			if !got[n] {
				missing = append(missing, n)
			}
		}
		if len(missing) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d accepted mails never reached the SMSC: %v", len(missing), missing)
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Logf("%d of %d reached the SMSC before the exit, the rest after the restart", before, len(accepted))
	if code := d.stop(30 * time.Second); code != 0 {
		t.Errorf("exit status %d after the second SIGTERM", code)
	}
}
