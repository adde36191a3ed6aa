package metrics

import (
	"testing"
	"time"
)

func TestReadModemDetails(t *testing.T) {
	t.Parallel()
	type status struct { // the shape of transport/modem.Status
		Device    string
		Up        bool
		RSSI      int
		SentToday int
		SentMonth int
	}
	for _, tc := range []struct {
		name string
		in   map[string]any
		want ModemDetails
	}{
		{"none", nil, ModemDetails{}},
		{"not a modem", map[string]any{"binds": 2}, ModemDetails{}},
		{"structs", map[string]any{"modems": []status{{"/dev/ttyUSB0", true, 21, 12, 300}}, "daily_limit": 500},
			ModemDetails{Modems: []ModemDetail{{"/dev/ttyUSB0", true, 21, 12, 300}}, DailyLimit: 500}},
		{"maps with snake case", map[string]any{"Modems": []map[string]any{{"device": "a", "up": false, "rssi": 99, "sent_today": 3.0}}, "MonthlyLimit": int64(9)},
			ModemDetails{Modems: []ModemDetail{{Device: "a", RSSI: 99, SentToday: 3}}, MonthlyLimit: 9}},
		{"wrong shape", map[string]any{"modems": "ttyUSB0"}, ModemDetails{}},
	} {
		got := ReadModemDetails(tc.in)
		if len(got.Modems) != len(tc.want.Modems) || got.DailyLimit != tc.want.DailyLimit || got.MonthlyLimit != tc.want.MonthlyLimit {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
			continue
		}
		for i := range got.Modems {
			if got.Modems[i] != tc.want.Modems[i] {
				t.Errorf("%s: modem %d %+v, want %+v", tc.name, i, got.Modems[i], tc.want.Modems[i])
			}
		}
	}
}

func TestThroughputWindow(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	tp := newThroughput(func() time.Time { return now })
	for range 30 {
		tp.add("smsc")
	}
	if r := tp.rate("smsc"); r != 0.5 {
		t.Errorf("30 in one second: %v/s", r)
	}
	now = now.Add(59 * time.Second)
	tp.add("smsc")
	if r := tp.rate("smsc"); r != 31.0/60 {
		t.Errorf("59 s later: %v/s", r)
	}
	now = now.Add(time.Second)
	if r := tp.rate("smsc"); r != 1.0/60 {
		t.Errorf("a minute later: %v/s", r)
	}
	now = now.Add(time.Hour)
	if r := tp.rate("smsc"); r != 0 || tp.rate("other") != 0 {
		t.Errorf("an hour later: %v/s", r)
	}
}
