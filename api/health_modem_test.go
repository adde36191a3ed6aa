package api

import (
	"reflect"
	"testing"

	"github.com/smsbridge/smsbridge/transport"
)

func TestMissedIndications(t *testing.T) {
	t.Parallel()
	modems := func(ms ...transport.ModemStatus) *transport.Status {
		return &transport.Status{ModemsStatus: &transport.ModemsStatus{Modems: ms}}
	}
	for _, tc := range []struct {
		name string
		in   *transport.Status
		want []string
	}{
		{"no details", nil, nil},
		{"smpp", &transport.Status{SMPPStatus: &transport.SMPPStatus{}}, nil},
		{"all well", modems(transport.ModemStatus{Device: "/dev/ttyUSB0"}), nil},
		{"one missed", modems(transport.ModemStatus{Device: "/dev/ttyUSB0"}, transport.ModemStatus{Device: "/dev/ttyUSB1", Unacknowledged: 1, IndicationsOff: 2}),
			[]string{"gsm /dev/ttyUSB1: 1 unacknowledged, found off 2 times and turned on again"}},
	} {
		if got := missedIndications("gsm", tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}
