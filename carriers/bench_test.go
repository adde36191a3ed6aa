package carriers

import (
	"strconv"
	"testing"
)

// BenchmarkNormalize is the number check every RCPT TO pays.
func BenchmarkNormalize(b *testing.B) {
	for _, tc := range []struct {
		name string
		p    NumberPolicy
	}{
		{"default", NumberPolicy{DefaultRegion: "US"}},
		{"strict+countries", NumberPolicy{DefaultRegion: "US", Strict: true, AllowedCountries: []string{"US", "CA"}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := range b.N {
				if _, err := tc.p.Normalize("1-650-555-" + strconv.Itoa(1000+i%9000)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
