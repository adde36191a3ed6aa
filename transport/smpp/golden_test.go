package smpp

import (
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/transport"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestSubmitGolden pins the exact submit_sm bodies we put on the wire.
func TestSubmitGolden(t *testing.T) {
	t.Parallel()
	septets, _ := sms.EncodeGSM7("Hi €")
	cases := map[string]struct {
		long string
		part transport.Part
	}{
		"gsm7_receipt_validity": {"udh", transport.Part{To: "+14155550100", Payload: septets, Receipt: true,
			Expires: time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)}},
		"ucs2_udh":     {"udh", transport.Part{To: "+4915112345678", Encoding: sms.UCS2, Payload: sms.EncodeUCS2("Ж"), Ref: 200, Seq: 1, Total: 2}},
		"gsm7_sar":     {"sar", transport.Part{To: "+4915112345678", Source: "12345", Payload: septets, Ref: 5, Seq: 2, Total: 2}},
		"gsm7_payload": {"payload", transport.Part{To: "+4915112345678", Source: "+4915100000000", Payload: septets}},
	}
	for name, c := range cases {
		cfg := Config{Long: c.long, Source: "SMSBRIDGE"}
		body, err := buildSubmit(&cfg, &c.part)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", "golden", name+".hex")
		got := hex.EncodeToString(body) + "\n"
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}
