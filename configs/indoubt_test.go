package configs

import (
	"strings"
	"testing"
	"time"
)

func TestInDoubtKeys(t *testing.T) {
	t.Parallel()
	smpp := "[[transports]]\nname = \"s\"\ntype = \"smpp\"\naddress = \"127.0.0.1:2775\"\n"
	modem := "[[transports]]\nname = \"m\"\ntype = \"modem\"\ndevice = \"/dev/ttyUSB0\"\n"
	c, err := Parse([]byte(smpp+modem), "d.toml")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := c.Transport("s")
	m, _ := c.Transport("m")
	if s.InDoubtLimit.Duration != 5*time.Minute || s.MaxInDoubtResends != 1 || m.MaxInDoubtResends != 1 {
		t.Errorf("defaults: smpp %s/%d, modem %d; want 5m/1 and 1", s.InDoubtLimit.Duration, s.MaxInDoubtResends, m.MaxInDoubtResends)
	}
	c, err = Parse([]byte(smpp+"max_in_doubt_resends = 0\n"), "z.toml")
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := c.Transport("s"); s.MaxInDoubtResends != 0 {
		t.Errorf("explicit 0 replaced by %d", s.MaxInDoubtResends)
	}
	for _, tc := range []struct{ src, key string }{
		{smpp + "max_in_doubt_resends = -1\n", "transports.max_in_doubt_resends"},
		{smpp + "response_timeout = \"10s\"\nin_doubt_limit = \"5s\"\n", "transports.in_doubt_limit"},
		{modem + "in_doubt_limit = \"5m\"\n", "transports.in_doubt_limit"},
		{"[[transports]]\nname = \"x\"\ntype = \"simulator\"\nmax_in_doubt_resends = 2\n", "transports.max_in_doubt_resends"},
	} {
		if _, err := Parse([]byte(tc.src), "bad.toml"); err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%q: err = %v, want one naming %s", tc.src, err, tc.key)
		}
	}
}
