package smpp

import (
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

// TestStatusShowsBinds: Status names the binds that can submit, with their
// kind and window, for the API's /transports.
func TestStatusShowsBinds(t *testing.T) {
	t.Parallel()
	srv := startServer(t, smsctest.Options{SystemID: "user", Password: "pw"})
	cfg := testConfig(srv.Addr())
	cfg.Binds = 2
	tr := startTransport(t, cfg, newRecorder())
	for range 300 {
		if len(tr.Status()["bound"].([]map[string]any)) == 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	st := tr.Status()
	if st["address"] != srv.Addr() || st["binds_wanted"] != 2 {
		t.Errorf("status %v", st)
	}
	for _, b := range st["bound"].([]map[string]any) {
		if b["kind"] != "transceiver" || b["window"] != 10 || b["in_flight"] != 0 {
			t.Errorf("bind %v", b)
		}
	}
}
