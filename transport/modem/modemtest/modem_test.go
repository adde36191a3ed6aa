package modemtest

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"
)

// TestRawAT speaks to the simulator as a terminal would: echo until ATE0,
// errors before the PIN, the "> " prompt of +CMGS.
func TestRawAT(t *testing.T) {
	m, err := Start(Config{Dir: t.TempDir(), PIN: "1234"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	f, r, expect := terminal(t, m)
	expect("AT\r\n", "AT", "OK")
	expect("ATE0\r\n", "ATE0", "OK")
	expect("AT+CMEE=1\r\n", "OK")
	expect("AT+CMGS=20\r", "+CME ERROR: 11")
	expect("AT+CPIN?\r\n", "+CPIN: SIM PIN", "OK")
	expect("AT+CPIN=\"1234\"\r\n", "OK")
	prompt := func() {
		t.Helper()
		if _, err := f.WriteString("AT+CMGS=27\r"); err != nil {
			t.Fatal(err)
		}
		if b, err := r.Peek(4); err != nil || string(b) != "\r\n> " {
			t.Fatalf("prompt %q %v", b, err)
		}
		r.Discard(4)
	}
	prompt()
	expect("00\x1b", "OK") // ESC cancels
	prompt()
	expect("0021000C91447700091032000010C3F79CAE03D53665D086F75E6F7C\x1a", "+CMGS: 1", "OK")
	if s := m.Sent(); len(s) != 1 || s[0].Text != "Cost: 5€ [ok]" || s[0].To != "+447700900123" {
		t.Fatalf("sent %+v", s)
	}
}

// terminal opens the modem's port as a terminal would and returns expect,
// which writes cmd and checks the non-empty lines that come back.
func terminal(t *testing.T, m *Modem) (*os.File, *bufio.Reader, func(cmd string, want ...string)) {
	t.Helper()
	f, err := os.OpenFile(m.Path(), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	f.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(f)
	expect := func(cmd string, want ...string) {
		t.Helper()
		if _, err := f.WriteString(cmd); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			var got string
			for got == "" {
				line, err := r.ReadString('\n')
				if err != nil {
					t.Fatalf("after %q: %v", cmd, err)
				}
				got = strings.TrimSpace(line)
			}
			if got != w {
				t.Fatalf("after %q got %q, want %q", cmd, got, w)
			}
		}
	}
	return f, r, expect
}

func FuzzDecodeSubmit(f *testing.F) {
	f.Add("0021000C91447700091032000010C3F79CAE03D53665D086F75E6F7C", 27)
	f.Add("0071000B914151550501F00000A718050003A5020266B49AED86CBC162B219AD66BBE172", 35)
	f.Add("", 0)
	f.Fuzz(func(t *testing.T, h string, n int) {
		s, err := decodeSubmit(h, n)
		if err == nil && s.Seq > s.Total {
			t.Logf("odd concatenation %+v", s) // a peer may send it; no panic is the point
		}
	})
}
