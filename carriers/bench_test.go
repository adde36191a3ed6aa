package carriers

import (
	"strconv"
	"testing"
)

// BenchmarkNormalize is the number check every RCPT TO pays.
func BenchmarkNormalize(b *testing.B) {
	for _, tc := range []struct {
		name   string
		p      NumberPolicy
		prefix string
	}{
		{"default", NumberPolicy{DefaultRegion: "US"}, "1-650-555-"},
		// Possible but in no region's plan (exchange 123): libphonenumber
		// tries every +1 region to find one.
		{"default/unassigned", NumberPolicy{DefaultRegion: "US"}, "415-123-"},
		{"strict+countries", NumberPolicy{DefaultRegion: "US", Strict: true, AllowedCountries: []string{"US", "CA"}}, "1-650-555-"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := range b.N {
				if _, err := tc.p.Normalize(tc.prefix + strconv.Itoa(1000+i%9000)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkNormalizeCached is alert traffic: a few numbers, again and again.
func BenchmarkNormalizeCached(b *testing.B) {
	p := NumberPolicy{DefaultRegion: "US"}.Cached()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := p.Normalize("1-650-555-" + strconv.Itoa(1000+i%10)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
