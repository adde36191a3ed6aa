package main

import (
	"strings"
	"testing"

	"github.com/smsbridge/smsbridge/api"
)

// queue show says when a part may have reached the phone twice, and why.
func TestPartExtrasInDoubt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p    api.PartView
		want string
	}{
		{api.PartView{Transport: "smsc", TransportID: "A1"}, "  via smsc id A1"},
		{api.PartView{Transport: "smsc", TransportID: "A2", AlsoID: "A1", MaybeTwice: true, InDoubt: 1},
			"  via smsc id A2 and A1  may have been delivered twice"},
		{api.PartView{Transport: "smsc", InDoubt: 1, Error: "in doubt: no answer"}, "  via smsc  in doubt 1  error: in doubt: no answer"},
		{api.PartView{Transport: "smsc", TransportID: "B1", MovedFrom: "gsm"}, "  via smsc id B1  sent again as a whole (first through gsm)"},
	} {
		if got := partExtras(tc.p); got != tc.want {
			t.Errorf("partExtras(%+v)\n got %q\nwant %q", tc.p, got, tc.want)
		}
	}
	if strings.Contains(partExtras(api.PartView{}), "twice") {
		t.Error("a plain part is said to be delivered twice")
	}
}
