package console

import (
	"strings"
	"testing"
	"time"
)

// FuzzFormFields: the numbers field splits into trimmed, non-empty entries
// with no separators left, and the time fields never panic and give a
// time from a duration no later than now.
func FuzzFormFields(f *testing.F) {
	for _, s := range []string{"", "07700 900123, +447700900124;oncall\n4151234567\r\n", " , ;", "90m", "2025-03-01 12:00", "2025-03-01T12:00:00+02:00", "-5m"} {
		f.Add(s)
	}
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		for _, n := range splitNumbers(s) {
			if n == "" || n != strings.TrimSpace(n) || strings.ContainsAny(n, ",;\r\n") {
				t.Fatalf("splitNumbers(%q) gave %q", s, n)
			}
		}
		if when, ok := parseWhen(s, now); ok {
			if d, err := time.ParseDuration(s); err == nil && d >= 0 && when.After(now) {
				t.Fatalf("parseWhen(%q) = %v, after now", s, when)
			}
		}
	})
}
