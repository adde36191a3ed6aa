package main

import (
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/configs"
)

// The in-doubt keys of [[transports]] reach the dispatcher's lanes.
func TestLanesCarryInDoubtKeys(t *testing.T) {
	t.Parallel()
	cfg, err := configs.Parse([]byte(`
[[transports]]
name = "smsc"
type = "smpp"
address = "127.0.0.1:2775"
in_doubt_limit = "1m"
max_in_doubt_resends = 0

[[transports]]
name = "gsm"
type = "modem"
device = "/dev/ttyUSB0"
`), "t.toml")
	if err != nil {
		t.Fatal(err)
	}
	lanes, err := buildLanes(cfg, quietLogger(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if l := lanes[0]; l.InDoubtLimit != time.Minute || l.MaxInDoubtResends != 0 {
		t.Errorf("smsc lane: limit %s, resends %d; want 1m and 0", l.InDoubtLimit, l.MaxInDoubtResends)
	}
	if l := lanes[1]; l.MaxInDoubtResends != 1 {
		t.Errorf("gsm lane: resends %d, want the default 1", l.MaxInDoubtResends)
	}
}
