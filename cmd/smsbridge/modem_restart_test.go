package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport/modem/modemtest"
)

// TestModemStoredWhileDown: replies that reach the modem while the gateway
// is down wait on the SIM (one of them in two parts, one indicated to no
// one and stored when its acknowledgement did not come) and come as mail
// once it is back; the SIM is emptied only after they are kept.
func TestModemStoredWhileDown(t *testing.T) {
	t.Parallel()
	m := startSim(t, modemtest.Config{Number: "+14155550999", AckTimeout: 300 * time.Millisecond})
	dir := t.TempDir()
	conf := writeConfig(t, dir, modemConf("127.0.0.1:0", `device = "`+m.Path()+`"`, "100"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, stop := runTestGateway(t, conf)
	if err := m.Wait(ctx, func(m *modemtest.Modem) bool { return m.StatsLocked().MT == 2 }); err != nil {
		t.Fatalf("the gateway never set the modem up: %+v", m.Stats())
	}
	stop()

	long := strings.TrimSpace(strings.Repeat("The disk on db-1 is replaced, rebuilding the array now. ", 4))
	for _, text := range []string{"Ack, looking while you restart", long} {
		if err := m.Store("+14155550100", text); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Deliver("+14155550101", "Indicated while nobody listened", false); err != nil {
		t.Fatal(err)
	}
	if err := m.Wait(ctx, func(m *modemtest.Modem) bool { return m.StatsLocked().AckTimeouts == 1 }); err != nil {
		t.Fatalf("the indication was not given up on: %+v", m.Stats())
	}
	startGateway(t, conf)
	mails := strings.Join(waitMaildir(t, ctx, filepath.Join(dir, "mail"), 3), "\n----\n")
	for _, want := range []string{"Ack, looking while you restart", "rebuilding the array now.", "Indicated while nobody listened"} {
		if !strings.Contains(mails, want) {
			t.Errorf("no mail with %q:\n%s", want, mails)
		}
	}
	if err := m.Wait(ctx, func(m *modemtest.Modem) bool { return m.StatsLocked().Stored == 0 }); err != nil {
		t.Fatalf("the SIM still holds messages: %+v", m.Stats())
	}
}
