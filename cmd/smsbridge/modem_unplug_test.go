package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport/modem/modemtest"
)

// TestModemUnplugMidMultipart runs `smsbridge serve` as a process. The
// modem vanishes (pty hung up, as a USB unplug) when the second part of a
// three-part message reaches it, and comes back on a new pty behind the same
// device path: the gateway reopens it, enters the PIN again and sends the
// rest. Every part reaches the phone once, as one concatenated message, and
// the report mail says delivered.
func TestModemUnplugMidMultipart(t *testing.T) {
	t.Parallel()
	m := startSim(t, modemtest.Config{})
	m.VanishOnSend(2)
	dir := t.TempDir()
	smtpAddr := freePort(t)
	conf := writeConfig(t, dir, modemConf(smtpAddr, `device = "`+m.Path()+`"`, "100"))
	d := startDaemon(t, dir, smtpAddr, "-config", conf)

	long := strings.TrimSpace(strings.Repeat("Replica lag on db-2 is 45 seconds and rising. ", 8))
	sendPlain(t, smtpAddr, []string{"+14155550100@sms.test"}, "Lag", long)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := m.Wait(ctx, func(m *modemtest.Modem) bool { return m.StatsLocked().Sends >= 2 && m.StatsLocked().Plugs == 1 }); err != nil {
		t.Fatal("the second part never reached the modem")
	}
	if err := d.waitLog(ctx, "modem down"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // unplugged for a moment
	if err := m.Replug(); err != nil {
		t.Fatal(err)
	}

	sent := waitSent(t, ctx, 3, m)
	text := joinConcatenated(t, sent)
	if !strings.Contains(text, long) {
		t.Fatalf("reassembled %q", text)
	}
	mails := waitMaildir(t, ctx, filepath.Join(dir, "mail"), 1)
	if !strings.Contains(mails[0], "Subject: Delivered: Lag") {
		t.Fatalf("report mail:\n%s", mails[0])
	}
	if st := m.Stats(); st.PINAsks != 2 {
		t.Fatalf("PIN entered %d times; want again after the replug", st.PINAsks)
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(m.Sent()); n != 3 {
		t.Fatalf("%d SMS sent; want 3, no duplicates", n)
	}
	if code := d.stop(20 * time.Second); code != 0 {
		t.Fatalf("exit status %d", code)
	}
}
