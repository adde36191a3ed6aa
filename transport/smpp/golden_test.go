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
	ascii, _ := sms.EncodeGSM7("Hi [x]")
	cases := map[string]struct {
		cfg  Config
		part transport.Part
	}{
		"gsm7_receipt_validity": {Config{Long: "udh"}, transport.Part{To: "+14155550100", Payload: septets, Receipt: true,
			Expires: time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)}},
		"ucs2_udh":     {Config{Long: "udh"}, transport.Part{To: "+4915112345678", Encoding: sms.UCS2, Payload: sms.EncodeUCS2("Ж"), Ref: 200, Seq: 1, Total: 2}},
		"gsm7_sar":     {Config{Long: "sar"}, transport.Part{To: "+4915112345678", Source: "12345", Payload: septets, Ref: 5, Seq: 2, Total: 2}},
		"gsm7_payload": {Config{Long: "payload"}, transport.Part{To: "+4915112345678", Source: "+4915100000000", Payload: septets}},
		"gsm7_packed_udh": {Config{Long: "udh", GSM7Coding: "packed"},
			transport.Part{To: "+14155550100", Payload: septets, Ref: 9, Seq: 1, Total: 2}},
		"ascii_ia5":    {Config{Long: "udh", ASCIICoding: "ia5"}, transport.Part{To: "+14155550100", Encoding: sms.ASCII, Payload: ascii}},
		"ascii_latin1": {Config{Long: "udh", ASCIICoding: "latin1"}, transport.Part{To: "+14155550100", Encoding: sms.ASCII, Payload: ascii}},
	}
	for name, c := range cases {
		cfg := c.cfg
		cfg.Source = "SMSBRIDGE"
		cfg.setDefaults()
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
