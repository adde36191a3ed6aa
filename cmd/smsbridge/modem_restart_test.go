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
// is down wait on the SIM (one of them in two parts) and come as mail once
// it is back; the SIM is emptied only after they are kept.
func TestModemStoredWhileDown(t *testing.T) {
	t.Parallel()
	m := startSim(t, modemtest.Config{Number: "+14155550999"})
	dir := t.TempDir()
	conf := writeConfig(t, dir, modemConf("127.0.0.1:0", `device = "`+m.Path()+`"`, "100"))
	_, stop := runTestGateway(t, conf)
	stop()

	long := strings.TrimSpace(strings.Repeat("The disk on db-1 is replaced, rebuilding the array now. ", 4))
	for _, text := range []string{"Ack, looking while you restart", long} {
		if err := m.Store("+14155550100", text); err != nil {
			t.Fatal(err)
		}
	}
	startGateway(t, conf)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	mails := strings.Join(waitMaildir(t, ctx, filepath.Join(dir, "mail"), 2), "\n----\n")
	for _, want := range []string{"Ack, looking while you restart", "rebuilding the array now."} {
		if !strings.Contains(mails, want) {
			t.Errorf("no mail with %q:\n%s", want, mails)
		}
	}
	if err := m.Wait(ctx, func(m *modemtest.Modem) bool { return m.StatsLocked().Stored == 0 }); err != nil {
		t.Fatalf("the SIM still holds messages: %+v", m.Stats())
	}
}
