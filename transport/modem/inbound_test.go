package modem

import (
	"errors"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/transport"
	"github.com/smsbridge/smsbridge/transport/modem/modemtest"
)

// TestIndicationsOffAfterRestart: an SMS that comes while the gateway
// restarts is never acknowledged (what the modem wrote went to a closed
// port); once the acknowledgement is overdue, after the gateway came back,
// the modem turns indications off and keeps that SMS and everything after
// it on the SIM unannounced. The gateway's poll finds the indications off,
// turns them on again, counts it and reads the SIM: nothing stays there.
func TestIndicationsOffAfterRestart(t *testing.T) {
	t.Parallel()
	// The acknowledgement falls due well after the gateway is back.
	m := sim(t, modemtest.Config{Number: "+447700900999", AckTimeout: 2 * time.Second})
	_, _, stop := startStoppable(t, Config{Devices: []string{m.Path()}})
	stop()
	if err := m.Deliver("+447700900111", "sent while the gateway restarts", false); err != nil {
		t.Fatal(err)
	}
	tr, rec := startTransport(t, Config{Devices: []string{m.Path()}, PollInterval: 300 * time.Millisecond})
	if err := m.Wait(ctxT(t), func(m *modemtest.Modem) bool { return m.StatsLocked().AckTimeouts == 1 }); err != nil {
		t.Fatalf("the acknowledgement never timed out: %+v", m.Stats())
	}
	if err := m.Deliver("+447700900222", "a reply after it", false); err != nil {
		t.Fatal(err)
	}
	id, err := tr.Send(ctxT(t), parts(t, "+447700900123", "its report comes unannounced", sms.ModeGSM7, 3)[0])
	if err != nil {
		t.Fatal(err)
	}
	rec.wait(t, "both SMS and the report", func() bool { return len(rec.inbound) == 2 && len(rec.receipts) == 1 })
	if r := rec.receipts[0]; r.MessageID != id || r.State != transport.StateDelivered {
		t.Errorf("receipt %+v, want id %q delivered", r, id)
	}
	if err := m.Wait(ctxT(t), func(m *modemtest.Modem) bool {
		st := m.StatsLocked()
		return st.Stored == 0 && st.MT == 2 && st.DS == 1
	}); err != nil {
		t.Fatalf("SIM not emptied or indications not on again: %+v", m.Stats())
	}
	if st := tr.Modems()[0]; st.IndicationsOff < 1 {
		t.Errorf("indications found off %d times", st.IndicationsOff)
	}
	if st := tr.Status(); st.Modems[0].IndicationsOff < 1 {
		t.Errorf("status: %+v", st.Modems)
	}
}

// TestPollReadsUnannounced: a message the modem stored without any
// indication is read by the periodic poll of the SIM.
func TestPollReadsUnannounced(t *testing.T) {
	t.Parallel()
	m := sim(t, modemtest.Config{})
	_, rec := startTransport(t, Config{Devices: []string{m.Path()}, PollInterval: 200 * time.Millisecond})
	long := "A stored reply long enough for two parts. " + "It goes on and on, past the 160 characters of one SMS, to be joined again."
	for _, text := range []string{"stored without a word", long} {
		if err := m.Store("+447700900333", text); err != nil {
			t.Fatal(err)
		}
	}
	rec.wait(t, "the stored messages", func() bool { return len(rec.inbound) == 2 })
	got := map[string]bool{rec.inbound[0].Text: true, rec.inbound[1].Text: true}
	if !got["stored without a word"] || !got[long] {
		t.Errorf("got %+v", rec.inbound)
	}
	if err := m.Wait(ctxT(t), func(m *modemtest.Modem) bool { return m.StatsLocked().Stored == 0 }); err != nil {
		t.Fatalf("stored messages not deleted: %+v", m.Stats())
	}
}

// TestInboundKeptBeforeLetGo: what the handler could not keep (done with
// an error) is refused to the modem or left on the SIM, and comes again;
// only what it kept is acknowledged or deleted.
func TestInboundKeptBeforeLetGo(t *testing.T) {
	t.Parallel()
	// Each of the four is refused once before any comes again.
	m := sim(t, modemtest.Config{RedeliverDelay: time.Second})
	tr, rec := startTransport(t, Config{Devices: []string{m.Path()}, PollInterval: time.Second})
	rec.refuse(4)
	long := "A long indicated reply in several parts, refused once when its last part came, " +
		"so the network sends that part again and the earlier ones wait for it in memory."
	for _, c := range []struct {
		text   string
		stored bool
	}{{"indicated", false}, {"stored", true}, {long, false}} {
		if err := m.Deliver("+447700900444", c.text, c.stored); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tr.Send(ctxT(t), parts(t, "+447700900123", "its report is refused once", sms.ModeGSM7, 4)[0]); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, "every message kept", func() bool { return len(rec.inbound) == 3 && len(rec.receipts) == 1 })
	texts := map[string]int{}
	rec.mu.Lock()
	for _, in := range rec.inbound {
		texts[in.Text]++
	}
	refused := rec.refused
	rec.mu.Unlock()
	if texts["indicated"] != 1 || texts["stored"] != 1 || texts[long] != 1 {
		t.Errorf("kept %v", texts)
	}
	if refused != 4 {
		t.Errorf("refused %d, want 4", refused)
	}
	if err := m.Wait(ctxT(t), func(m *modemtest.Modem) bool {
		st := m.StatsLocked()
		return st.Stored == 0 && st.Unacked == 0
	}); err != nil {
		t.Fatalf("modem: %+v", m.Stats())
	}
	if st := m.Stats(); st.Nacks != 3 || st.AckTimeouts != 0 {
		t.Errorf("modem: %+v; want 3 refused indications", st)
	}
}

var errNotKept = errors.New("store unavailable")
