package transport

import (
	"encoding/json"
	"testing"
	"time"
)

// TestStatusJSON: the typed status writes the JSON /api/v1/transports has
// always shown under "details": each kind's fields side by side, and
// nothing of a kind the transport is not.
func TestStatusJSON(t *testing.T) {
	polled := time.Date(2026, 12, 3, 13, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		in   Status
		want string
	}{
		{"none", Status{}, `{}`},
		{"smpp", Status{SMPPStatus: &SMPPStatus{Address: "127.0.0.1:2775", BindsWanted: 2,
			Bound: []BindStatus{{Kind: "transceiver", InFlight: 1, Window: 10}}}},
			`{"address":"127.0.0.1:2775","binds_wanted":2,"bound":[{"kind":"transceiver","in_flight":1,"window":10,"suspect":false}]}`},
		{"smpp without binds", Status{SMPPStatus: &SMPPStatus{Address: "a:1", BindsWanted: 1, Bound: []BindStatus{}}},
			`{"address":"a:1","binds_wanted":1,"bound":[]}`},
		{"modem", Status{ModemsStatus: &ModemsStatus{DailyLimit: 500, Modems: []ModemStatus{{Device: "/dev/ttyUSB0", Up: true,
			SIM: "001010000000001", Registration: "home", RSSI: 21, Polled: polled, SentToday: 3, SentMonth: 40}}}},
			`{"modems":[{"Device":"/dev/ttyUSB0","Up":true,"SIM":"001010000000001","Number":"","Registration":"home","RSSI":21,` +
				`"Polled":"2026-12-03T13:00:00Z","SentToday":3,"SentMonth":40,"Unacknowledged":0,"IndicationsOff":0}],"daily_limit":500,"monthly_limit":0}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("got  %s\nwant %s", b, tc.want)
			}
		})
	}
}
