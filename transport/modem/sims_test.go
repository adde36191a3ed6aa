package modem

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport"
	"github.com/smsbridge/smsbridge/transport/modem/modemtest"
)

func twoSIMs(t *testing.T) (*modemtest.Modem, *modemtest.Modem) {
	dir := t.TempDir()
	a := sim(t, modemtest.Config{Dir: dir, Name: "a", IMSI: "001010000000001"})
	b := sim(t, modemtest.Config{Dir: dir, Name: "b", IMSI: "001010000000002"})
	return a, b
}

func TestLoadSpread(t *testing.T) {
	t.Parallel()
	a, b := twoSIMs(t)
	tr, _ := startTransport(t, Config{Devices: []string{a.Path(), b.Path()}})
	for i := range 6 {
		if _, err := tr.Send(ctxT(t), parts(t, "+447700900123", "spread", sms.ModeGSM7, uint8(i))[0]); err != nil {
			t.Fatal(err)
		}
	}
	if na, nb := len(a.Sent()), len(b.Sent()); na != 3 || nb != 3 {
		t.Fatalf("sends spread %d / %d", na, nb)
	}
}

func TestMultipartStaysOnOneSIM(t *testing.T) {
	t.Parallel()
	a, b := twoSIMs(t)
	tr, _ := startTransport(t, Config{Devices: []string{a.Path(), b.Path()}})
	ps := parts(t, "+447700900123", strings.Repeat("word ", 80), sms.ModeGSM7, 9)
	// Interleave another message: the parts must still keep together.
	for _, p := range ps {
		if _, err := tr.Send(ctxT(t), p); err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Send(ctxT(t), parts(t, "+447700900555", "other", sms.ModeGSM7, 1)[0]); err != nil {
			t.Fatal(err)
		}
	}
	count := func(m *modemtest.Modem) (n int) {
		for _, s := range m.Sent() {
			if s.ConcatRef == 9 {
				n++
			}
		}
		return n
	}
	if ca, cb := count(a), count(b); !(ca == len(ps) && cb == 0) && !(cb == len(ps) && ca == 0) {
		t.Fatalf("parts split over SIMs: %d / %d", ca, cb)
	}
}

// openStore opens a queue file for the SIM counts.
func openStore(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(path, store.Options{Timeout: 2 * time.Second, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestQuotaSwitchOverAndRestart(t *testing.T) {
	t.Parallel()
	a, b := twoSIMs(t)
	path := filepath.Join(t.TempDir(), "queue.db")
	db := openStore(t, path)
	cfg := Config{Devices: []string{a.Path(), b.Path()}, DailyLimit: 2, Quota: db}
	tr, _, stop := startStoppable(t, cfg)
	p := parts(t, "+447700900123", "limited", sms.ModeGSM7, 1)[0]
	for i := range 4 {
		if _, err := tr.Send(ctxT(t), p); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if na, nb := len(a.Sent()), len(b.Sent()); na != 2 || nb != 2 {
		t.Fatalf("sends %d / %d with a daily limit of 2", na, nb)
	}
	_, err := tr.Send(ctxT(t), p)
	if !errors.Is(err, errExhausted) || transport.IsPermanent(err) || tr.Up() {
		t.Fatalf("all SIMs at their limit: err %v, up %v", err, tr.Up())
	}

	// A new transport on the same store (a restart) knows the counts.
	stop()
	tr2, _, stop2 := startStoppable(t, cfg)
	if tr2.Up() {
		t.Fatal("SIMs at their limit are usable again after a restart")
	}
	for _, s := range tr2.Modems() {
		if s.SentToday != 2 || s.SentMonth != 2 {
			t.Fatalf("status after restart: %+v", s)
		}
	}
	// The next day they are.
	stop2()
	tomorrow := time.Now().AddDate(0, 0, 1)
	cfg.Now = func() time.Time { return tomorrow }
	tr3, _ := startTransport(t, cfg)
	if _, err := tr3.Send(ctxT(t), p); err != nil {
		t.Fatalf("next day: %v", err)
	}
	db.Close()
}

func TestMonthlyLimit(t *testing.T) {
	t.Parallel()
	m := sim(t, modemtest.Config{})
	q := newMemQuota()
	q.QuotaAdd(context.Background(), "001010000000001", time.Now().AddDate(0, 0, -1), 3)
	tr, _ := startTransport(t, Config{Devices: []string{m.Path()}, DailyLimit: 10, MonthlyLimit: 4, Quota: q})
	now := time.Now()
	if now.AddDate(0, 0, -1).Month() != now.Month() {
		t.Skip("yesterday was last month")
	}
	p := parts(t, "+447700900123", "x", sms.ModeGSM7, 1)[0]
	if _, err := tr.Send(ctxT(t), p); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Send(ctxT(t), p); !errors.Is(err, errExhausted) {
		t.Fatalf("over the monthly limit: %v", err)
	}
}

func TestSendInterval(t *testing.T) {
	t.Parallel()
	m := sim(t, modemtest.Config{NoReports: true})
	const gap = 150 * time.Millisecond
	tr, _ := startTransport(t, Config{Devices: []string{m.Path()}, SendInterval: gap})
	began := time.Now()
	for i := range 3 {
		if _, err := tr.Send(ctxT(t), parts(t, "+447700900123", "paced", sms.ModeGSM7, uint8(i))[0]); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(began); took < 2*gap {
		t.Fatalf("3 sends took %v; want at least %v", took, 2*gap)
	}
}

func TestVanishMidSendAndReplug(t *testing.T) {
	t.Parallel()
	m := sim(t, modemtest.Config{PIN: "1234"})
	m.VanishOnSend(2)
	tr, rec := startTransport(t, Config{Devices: []string{m.Path()}, PIN: "1234"})
	ps := parts(t, "+447700900123", strings.Repeat("word ", 80), sms.ModeGSM7, 3)
	if _, err := tr.Send(ctxT(t), ps[0]); err != nil {
		t.Fatal(err)
	}
	_, err := tr.Send(ctxT(t), ps[1])
	if !transport.IsInDoubt(err) || transport.IsPermanent(err) {
		t.Fatalf("send into a vanishing modem: %v", err)
	}
	if _, err := tr.Send(ctxT(t), ps[1]); err == nil {
		t.Fatal("send while unplugged succeeded")
	}
	time.Sleep(100 * time.Millisecond)
	if err := m.Replug(); err != nil {
		t.Fatal(err)
	}
	waitUp(t, tr, 1)
	for _, p := range ps[1:] {
		if _, err := tr.Send(ctxT(t), p); err != nil {
			t.Fatal(err)
		}
	}
	sent := m.Sent()
	if len(sent) != len(ps) {
		t.Fatalf("modem sent %d parts, want %d", len(sent), len(ps))
	}
	for i, s := range sent {
		if s.Seq != i+1 || s.ConcatRef != 3 {
			t.Fatalf("part %d: %+v", i, s)
		}
	}
	if st := m.Stats(); st.PINAsks != 2 || st.Plugs != 2 {
		t.Fatalf("after replug: %+v", st)
	}
	rec.wait(t, "reports", func() bool { return len(rec.receipts) == len(ps) })
}

func TestSendTimeoutInDoubt(t *testing.T) {
	t.Parallel()
	m := sim(t, modemtest.Config{})
	m.IgnoreSend(1)
	tr, _ := startTransport(t, Config{Devices: []string{m.Path()}, SendTimeout: 300 * time.Millisecond})
	p := parts(t, "+447700900123", "x", sms.ModeGSM7, 1)[0]
	if _, err := tr.Send(ctxT(t), p); !transport.IsInDoubt(err) {
		t.Fatalf("unanswered send: %v", err)
	}
	if _, err := tr.Send(ctxT(t), p); err != nil {
		t.Fatalf("send after a timeout: %v", err)
	}
}
