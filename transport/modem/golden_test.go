package modem

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/transport"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestSubmitGolden: the +CMGS PDUs of a few parts, byte for byte.
func TestSubmitGolden(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	var b strings.Builder
	cases := []struct {
		name string
		to   string
		text string
		mode sms.Mode
		exp  time.Duration
	}{
		{"gsm7 single, escape", "+447700900123", "Cost: 5€ [ok]", sms.ModeGSM7, 0},
		{"gsm7 two parts", "+14155550100", strings.Repeat("0123456789", 17), sms.ModeGSM7, 24 * time.Hour},
		{"ucs2 single", "+4915112345678", "Grüße ☕", sms.ModeUCS2, time.Hour},
		{"short code", "12345", "STOP", sms.ModeASCII, 0},
	}
	for _, c := range cases {
		for _, p := range parts(t, c.to, c.text, c.mode, 0xA5) {
			if c.exp > 0 {
				p.Expires = now.Add(c.exp)
			}
			h, n, err := encodeSubmit(p, now)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			fmt.Fprintf(&b, "%s %d/%d: AT+CMGS=%d\n%s\n", c.name, p.Seq, p.Total, n, h)
		}
	}
	golden := filepath.Join("testdata", "submit.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Fatalf("PDUs differ from %s (go test -update to accept):\n%s", golden, b.String())
	}
}

func TestSubmitTooLong(t *testing.T) {
	p := &transport.Part{To: "+447700900123", Payload: make([]byte, 161)}
	if _, _, err := encodeSubmit(p, time.Now()); err == nil {
		t.Fatal("161 septets accepted")
	}
	p = &transport.Part{To: "+447700900123", Encoding: sms.UCS2, Payload: make([]byte, 136), Total: 2, Seq: 1}
	if _, _, err := encodeSubmit(p, time.Now()); err == nil {
		t.Fatal("136 UCS-2 octets with a UDH accepted")
	}
}
