package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport/modem/modemtest"
)

// TestModemEndToEnd: mail in, SMS out through a simulated modem on a pty
// (the real serial path), status reports back as report mails; an SMS from
// a phone comes back as mail.
func TestModemEndToEnd(t *testing.T) {
	t.Parallel()
	m := startSim(t, modemtest.Config{Number: "+14155550999"})
	dir := t.TempDir()
	addr := startGateway(t, writeConfig(t, dir, modemConf("127.0.0.1:0", `device = "`+m.Path()+`"`, "100")))

	long := strings.TrimSpace(strings.Repeat("Disk /var on db-1 is 97% full. ", 12))
	sendPlain(t, addr, []string{"+14155550100@sms.test"}, "Short", "db-1 is back")
	sendPlain(t, addr, []string{"+14155550101@sms.test"}, "Long", long)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sent := waitSent(t, ctx, 4, m)
	by := map[string][]modemtest.Submit{}
	for _, s := range sent {
		by[s.To] = append(by[s.To], s)
	}
	if s := by["+14155550100"]; len(s) != 1 || s[0].Total != 0 || !strings.Contains(s[0].Text, "db-1 is back") || !s[0].SRR {
		t.Fatalf("short message: %+v", s)
	}
	if got := joinConcatenated(t, by["+14155550101"]); !strings.Contains(got, long) {
		t.Fatalf("long message reassembles to %q", got)
	}

	mails := waitMaildir(t, ctx, filepath.Join(dir, "mail"), 2)
	for _, mail := range mails {
		if !strings.Contains(mail, "Subject: Delivered:") {
			t.Errorf("report mail:\n%s", mail)
		}
	}

	if err := m.Deliver("+14155550100", "Thanks, looking now", false); err != nil {
		t.Fatal(err)
	}
	mails = waitMaildir(t, ctx, filepath.Join(dir, "mail"), 3)
	found := false
	for _, mail := range mails {
		found = found || strings.Contains(mail, "Thanks, looking now")
	}
	if !found {
		t.Fatalf("no mail with the SMS from the phone:\n%s", strings.Join(mails, "\n----\n"))
	}
	if st := m.Stats(); st.Unacked != 0 || st.PINAsks != 1 {
		t.Fatalf("modem: %+v", st)
	}
}
