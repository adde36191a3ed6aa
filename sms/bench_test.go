package sms

import (
	"strings"
	"testing"
)

func benchmarkBuild(b *testing.B, text string, opt Options) {
	b.Helper()
	b.ReportAllocs()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := Build(text, opt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuild measures the work per mail recipient: 400 characters of
// GSM text (3 parts) and of Cyrillic UCS-2 text (6 parts).
func BenchmarkBuild(b *testing.B) {
	gsm := strings.Repeat("Disk on db-07 is at 93% [limit 90%], €12/month. ", 9)[:400]
	ucs2 := []rune(strings.Repeat("Диск на сервере заполнен на 93%, проверьте. ", 10))[:400]
	b.Run("gsm7-400", func(b *testing.B) {
		benchmarkBuild(b, gsm, Options{Mode: ModeGSM7, MaxParts: 6})
	})
	b.Run("ucs2-400", func(b *testing.B) {
		benchmarkBuild(b, string(ucs2), Options{Mode: ModeUCS2, MaxParts: 10})
	})
	b.Run("auto-ucs2-400", func(b *testing.B) {
		benchmarkBuild(b, string(ucs2), Options{Mode: ModeAuto, MaxParts: 10})
	})
}
