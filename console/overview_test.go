package console

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/transport"
)

// withModem is the test gateway with a modem transport beside its SMPP
// one, as a modem reports itself.
type withModem struct{ Gateway }

func (g withModem) Transports() []bridge.TransportStatus {
	return append(g.Gateway.Transports(), bridge.TransportStatus{Name: "gsm", Up: false, InFlight: 1, Slots: 4,
		Details: &transport.Status{ModemsStatus: &transport.ModemsStatus{DailyLimit: 200, MonthlyLimit: 0, Modems: []transport.ModemStatus{
			{Device: "/dev/ttyUSB0", Up: true, Registration: "home", RSSI: 20, SentToday: 150, SentMonth: 900, Number: "+447700900900", Polled: time.Now()},
			{Device: "/dev/ttyUSB1", Up: false, Registration: "searching", RSSI: 99},
		}}}})
}

func TestOverviewShowsModems(t *testing.T) {
	g := startGateway(t)
	con, err := New(Options{Access: g.API, Gateway: withModem{g.GW}, Store: g.Store, History: g.Metrics.History, Logger: g.Console.log})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(con)
	t.Cleanup(hs.Close)
	c := g.client(t)
	c.base = hs.URL
	c.login("", fullToken)
	resp, body := c.do("GET", Prefix, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{
		"gsm", "/dev/ttyUSB0 (+447700900900)", "home", `value="64"`, "20/31", // signal: 20 of 31
		"today 150 of 200", `value="75"`, "month 900</td>", // 150 of 200; no monthly limit
		"/dev/ttyUSB1", "searching", "signal unknown", "1/4",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
}
