package modemtest

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestIndicationsAsTS27005: with +CSMS=1 one +CMT is outstanding at a
// time; +CNMA=2 makes the network send it again, later; an acknowledgement that
// does not come in time turns indications off, and that message and the
// next ones are stored on the SIM unannounced.
func TestIndicationsAsTS27005(t *testing.T) {
	m, err := Start(Config{Dir: t.TempDir(), AckTimeout: 300 * time.Millisecond, RedeliverDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	_, r, expect := terminal(t, m)
	next := func() string {
		t.Helper()
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if s := strings.TrimSpace(line); s != "" {
				return s
			}
		}
	}
	indication := func() string {
		t.Helper()
		if head := next(); !strings.HasPrefix(head, "+CMT: ") {
			t.Fatalf("got %q, want +CMT", head)
		}
		return next()
	}
	expect("ATE0\r\n", "ATE0", "OK")
	expect("AT+CMEE=1\r\n", "OK")
	expect("AT+CSMS=1\r\n", "+CSMS: 1,1,1", "OK")
	expect("AT+CNMI=1,2,0,1,0\r\n", "OK")
	expect("AT+CNMI?\r\n", "+CNMI: 1,2,0,1,0", "OK")

	for _, text := range []string{"first", "second"} {
		if err := m.Deliver("+447700900111", text, false); err != nil {
			t.Fatal(err)
		}
	}
	first := indication()
	if st := m.Stats(); st.Unacked != 1 {
		t.Fatalf("the second came before the first was acknowledged: %+v", st)
	}
	expect("AT+CNMA=2\r\n", "OK")
	second := indication()
	expect("AT+CNMA\r\n", "OK")
	if again := indication(); again != first || again == second {
		t.Fatalf("after +CNMA=2 came %q, want %q again", again, first)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Wait(ctx, func(m *Modem) bool { return m.StatsLocked().AckTimeouts == 1 }); err != nil {
		t.Fatalf("the acknowledgement did not time out: %+v", m.Stats())
	}
	expect("AT+CNMA\r\n", "+CMS ERROR: 340")
	expect("AT+CNMI?\r\n", "+CNMI: 1,0,0,0,0", "OK")
	if err := m.Deliver("+447700900111", "third", false); err != nil {
		t.Fatal(err)
	}
	// Nothing came unasked: the listing is the next thing to read, with
	// the unacknowledged first and the third on the SIM.
	expect("AT+CMGL=4\r\n")
	var listed []string
	for line := next(); line != "OK"; line = next() {
		if !strings.HasPrefix(line, "+CMGL: ") {
			t.Fatalf("got %q in the listing", line)
		}
		listed = append(listed, next())
	}
	if len(listed) != 2 || listed[0] != first {
		t.Fatalf("listed %q; want the first (%q) and the third", listed, first)
	}
	if st := m.Stats(); st.Stored != 2 || st.Acks != 1 || st.Nacks != 1 || st.MT != 0 || st.DS != 0 {
		t.Fatalf("stats %+v", st)
	}
}
