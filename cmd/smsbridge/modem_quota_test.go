package main

import (
	"context"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport/modem/modemtest"
)

// TestModemQuotaSwitchOverAndRestart: two SIMs with a daily limit of one
// each; the second SMS goes through the other SIM; after a restart both are
// still at their limit, so a third SMS waits in the queue.
func TestModemQuotaSwitchOverAndRestart(t *testing.T) {
	t.Parallel()
	simDir := t.TempDir()
	a := startSim(t, modemtest.Config{Dir: simDir, Name: "a", IMSI: "001010000000011"})
	b := startSim(t, modemtest.Config{Dir: simDir, Name: "b", IMSI: "001010000000012"})
	dir := t.TempDir()
	conf := writeConfig(t, dir, modemConf("127.0.0.1:0", `devices = ["`+a.Path()+`", "`+b.Path()+`"]`, "1"))

	addr, stop := runTestGateway(t, conf)
	t.Cleanup(stop)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sendPlain(t, addr, []string{"+14155550100@sms.test"}, "One", "first")
	waitSent(t, ctx, 1, a, b)
	sendPlain(t, addr, []string{"+14155550101@sms.test"}, "Two", "second")
	waitSent(t, ctx, 2, a, b)
	if na, nb := len(a.Sent()), len(b.Sent()); na != 1 || nb != 1 {
		t.Fatalf("sends per SIM %d / %d; want one each", na, nb)
	}
	stop()

	addr, stop2 := runTestGateway(t, conf)
	t.Cleanup(stop2)
	for _, m := range []*modemtest.Modem{a, b} {
		if err := m.Wait(ctx, func(m *modemtest.Modem) bool { return m.StatsLocked().Resets >= 2 }); err != nil {
			t.Fatal("the restarted gateway did not open both modems")
		}
	}
	time.Sleep(200 * time.Millisecond) // the rest of the start-up after ATZ
	sendPlain(t, addr, []string{"+14155550102@sms.test"}, "Three", "third")
	// Both SIMs are at their limit: nothing goes out. The dispatcher looks
	// again every second, so three seconds are enough to see a wrong send.
	time.Sleep(3 * time.Second)
	if na, nb := len(a.Sent()), len(b.Sent()); na+nb != 2 {
		t.Fatalf("a SIM over its daily limit sent after a restart: %d / %d", na, nb)
	}
}
