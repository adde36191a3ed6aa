package corpus_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/bridge/mailtext"
	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/sms"
)

// One target per encoding, so that each gets its own fuzzing time:
//
//	go test ./bridge/corpus -run '^$' -fuzz '^FuzzConvertUCS2$' -fuzztime 30s
func FuzzConvertGSM7(f *testing.F)  { fuzzConvert(f, "gsm7") }
func FuzzConvertASCII(f *testing.F) { fuzzConvert(f, "ascii") }
func FuzzConvertUCS2(f *testing.F)  { fuzzConvert(f, "ucs2") }
func FuzzConvertAuto(f *testing.F)  { fuzzConvert(f, "auto") }

// fuzzConvert checks the whole conversion on any input: no panic, and a
// message that keeps every promise checkMessage checks. maxParts and flags
// vary the other [sms] settings: bit 0 split = "plain", bit 1
// on_too_long = "reject", bit 2 subject = "ignore", bit 3 links shown.
func fuzzConvert(f *testing.F, mode string) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.eml"))
	if err != nil {
		f.Fatal(err)
	}
	for i, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(1+i%6), uint8(i))
	}
	c := configs.Default()
	c.SMS.Encoding = mode
	base, err := bridge.ConfigFrom(c)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, mail []byte, maxParts, flags uint8) {
		cfg := base
		cfg.SMS.MaxParts = int(maxParts%12) + 1
		cfg.SMS.Split = sms.SplitMode(flags & 1)
		cfg.SMS.Truncate = flags&2 == 0
		cfg.Text.Subject = mailtext.SubjectMode(flags >> 2 & 1)
		cfg.Text.ShowLinks = flags&8 != 0
		_, msg, err := cfg.Convert(mail)
		if err != nil {
			return // refused with a 554: also a valid outcome
		}
		checkMessage(t, mode, msg, cfg.SMS)
	})
}
