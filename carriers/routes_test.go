package carriers

import (
	"slices"
	"testing"
)

func TestRoutesMatch(t *testing.T) {
	t.Parallel()
	routes := Routes{
		{Prefix: "+1", Transports: []string{"smsc", "gsm"}},
		{Prefix: "+1415", Transports: []string{"never"}}, // shadowed: file order wins
		{Prefix: "+44", Transports: []string{"uk"}, Source: "ACME"},
		{Prefix: "+", Transports: []string{"fallback"}},
	}
	tests := []struct {
		number string
		want   []string
		source string
		ok     bool
	}{
		{"+14151234567", []string{"smsc", "gsm"}, "", true},
		{"+16135550100", []string{"smsc", "gsm"}, "", true},
		{"+442079460958", []string{"uk"}, "ACME", true},
		{"+491701234567", []string{"fallback"}, "", true},
		{"14151234567", nil, "", false}, // not E.164
	}
	for _, tc := range tests {
		r, ok := routes.Match(tc.number)
		if ok != tc.ok || !slices.Equal(r.Transports, tc.want) || r.Source != tc.source {
			t.Errorf("Match(%q) = %+v, %v; want %v %q, %v", tc.number, r, ok, tc.want, tc.source, tc.ok)
		}
	}
	if _, ok := (Routes{}).Match("+14151234567"); ok {
		t.Error("empty table matched")
	}
	if _, ok := (Routes{{Prefix: "+44"}}).Match("+14151234567"); ok {
		t.Error("matched a foreign prefix")
	}
}
