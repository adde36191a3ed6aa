package modem

import (
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/transport"
	"github.com/smsbridge/smsbridge/transport/modem/modemtest"
)

func TestSIMOfID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		id, sim string
		ok      bool
	}{
		{reportID("001010000000002", 17, "+447700900123"), "001010000000002", true},
		{"/dev/ttyUSB0:-:abc", "/dev/ttyUSB0", true},
		{"a:b:c:d", "a:b", true},
		{"nocolon", "", false},
		{":1:2", "", false},
	} {
		if sim, ok := simOfID(tc.id); sim != tc.sim || ok != tc.ok {
			t.Errorf("simOfID(%q) = %q %v, want %q %v", tc.id, sim, ok, tc.sim, tc.ok)
		}
	}
}

// A part whose siblings went out through a SIM (its After id) follows that
// SIM even without a pin (after a restart, or past PinFor), though the
// other SIM is less used; a SIM at its limit cannot be followed.
func TestPartFollowsItsSiblingsSIM(t *testing.T) {
	t.Parallel()
	a, b := twoSIMs(t)
	tr, _ := startTransport(t, Config{Devices: []string{a.Path(), b.Path()}, DailyLimit: 3, PinFor: time.Millisecond})
	ps := parts(t, "+447700900123", strings.Repeat("word ", 80), sms.ModeGSM7, 9) // 3 parts
	first, err := tr.Send(ctxT(t), ps[0])
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // the pin expires
	for _, p := range ps[1:] {
		p.After = first
		if _, err := tr.Send(ctxT(t), p); err != nil {
			t.Fatal(err)
		}
	}
	if na, nb := len(a.Sent()), len(b.Sent()); na+nb != 3 || (na != 0 && nb != 0) {
		t.Fatalf("parts over SIMs: %d / %d, want all on one", na, nb)
	}
	again := parts(t, "+447700900123", "x", sms.ModeGSM7, 10)[0]
	again.Key, again.Seq, again.Total, again.After = "M10/0/1", 2, 2, first
	if _, err := tr.Send(ctxT(t), again); !transport.CannotFollow(err) || transport.IsPermanent(err) {
		t.Fatalf("following a SIM at its limit: %v, want ErrCannotFollow", err)
	}
}

// A SIM with room for fewer parts than a message has sends none of them:
// the whole message must go another way.
func TestSIMWithoutRoomForWholeMessage(t *testing.T) {
	t.Parallel()
	m := sim(t, modemtest.Config{})
	tr, _ := startTransport(t, Config{Devices: []string{m.Path()}, DailyLimit: 2})
	ps := parts(t, "+447700900123", strings.Repeat("word ", 80), sms.ModeGSM7, 9)
	for _, p := range ps {
		if _, err := tr.Send(ctxT(t), p); !transport.CannotFollow(err) {
			t.Fatalf("part %d of 3 with room for 2: %v, want ErrCannotFollow", p.Seq, err)
		}
	}
	if n := len(m.Sent()); n != 0 {
		t.Fatalf("%d parts sent", n)
	}
}

// Every id Send writes names its SIM back; any other input is read without
// a panic, and what it names is a prefix of it.
func FuzzSIMOfID(f *testing.F) {
	f.Add("001010000000001", 17, "+447700900123", "001010000000001:17:00900123")
	f.Add("/dev/ttyUSB0", 0, "", "a:b:c")
	f.Fuzz(func(t *testing.T, sim string, mr int, to, any string) {
		if s, ok := simOfID(any); ok && (s == "" || !strings.HasPrefix(any, s)) {
			t.Fatalf("simOfID(%q) = %q", any, s)
		}
		if sim == "" {
			return
		}
		if got, ok := simOfID(reportID(sim, mr, to)); !ok || got != sim {
			t.Fatalf("simOfID(reportID(%q, %d, %q)) = %q %v", sim, mr, to, got, ok)
		}
	})
}
