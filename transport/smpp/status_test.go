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
		if len(tr.Status().Bound) == 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	st := tr.Status()
	if st.Address != srv.Addr() || st.BindsWanted != 2 || st.ModemsStatus != nil {
		t.Errorf("status %+v", st.SMPPStatus)
	}
	for _, b := range st.Bound {
		if b.Kind != "transceiver" || b.Window != 10 || b.InFlight != 0 {
			t.Errorf("bind %+v", b)
		}
	}
}
