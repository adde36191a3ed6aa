package modem

import (
	"fmt"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/transport/modem/modemtest"
)

// A modem that sent before its link was lost is reopened after the first
// reopen delay each time: a session that worked starts the backoff anew,
// however short it was. Without that, the sixth reopen here would wait 32
// times the first delay.
func TestWorkingSessionResetsReopenBackoff(t *testing.T) {
	t.Parallel()
	m := sim(t, modemtest.Config{})
	const first = 200 * time.Millisecond
	tr, _ := startTransport(t, Config{Devices: []string{m.Path()}, ReopenMin: first, ReopenMax: time.Hour})
	for i := range 6 {
		p := parts(t, "+447700900123", fmt.Sprintf("m%d", i), sms.ModeGSM7, uint8(i))[0]
		if _, err := tr.Send(ctxT(t), p); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		m.Unplug()
		if err := m.Replug(); err != nil {
			t.Fatal(err)
		}
		lost := time.Now()
		for tr.Up() && time.Since(lost) < 5*time.Second { // the loss is seen
			time.Sleep(5 * time.Millisecond)
		}
		for !tr.Up() {
			if time.Since(lost) > 20*first {
				t.Fatalf("reopen %d: not up %s after the loss of a session that worked", i, time.Since(lost))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}
