package main

import (
	"strings"
	"testing"
)

// TestStopRightAfterStart: a gateway stopped the moment it listens (before
// its listeners' goroutines have begun serving) still stops.
func TestStopRightAfterStart(t *testing.T) {
	t.Parallel()
	conf := `
[smtp]
listen = ["127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"]
domains = ["sms.test"]

[store]
path = "%DIR%/data/smsbridge.db"

[[transports]]
name = "sim"
type = "simulator"
`
	path := writeConfig(t, t.TempDir(), strings.TrimSpace(conf))
	for range 20 {
		_, stop := runTestGateway(t, path)
		stop() // fails the test if the gateway does not stop within 30s
	}
}
