package bridge

import (
	"testing"

	"github.com/smsbridge/smsbridge/store"
)

// parsePartKey reads back what PartKey.String writes, and refuses the rest
// without a panic.
func FuzzParsePartKey(f *testing.F) {
	f.Add("0VckJq6fXtz1ahXo", 0, 3, "0VckJq6fXtz1ahXo/0/3")
	f.Add("a/b", 1, 2, "//")
	f.Fuzz(func(t *testing.T, msg string, rcpt, part int, any string) {
		if k, err := parsePartKey(any); err == nil && (k.Msg == "" || k.Rcpt < 0 || k.Part < 0) {
			t.Fatalf("parsePartKey(%q) = %+v", any, k)
		}
		if msg == "" || rcpt < 0 || part < 0 {
			return
		}
		k := store.PartKey{Msg: msg, Rcpt: rcpt, Part: part}
		if got, err := parsePartKey(k.String()); err != nil || got != k {
			t.Fatalf("parsePartKey(%q) = %+v %v, want %+v", k.String(), got, err, k)
		}
	})
}
