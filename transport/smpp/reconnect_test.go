package smpp

import (
	"fmt"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport"
	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

// An SMSC that drops the link every few PDUs: each session worked (it
// accepted submits), so each loss reconnects at once. With the backoff an
// hour long, one continued backoff would stall the test.
func TestWorkingBindResetsBackoff(t *testing.T) {
	t.Parallel()
	srv := startServer(t, smsctest.Options{})
	srv.DropEvery(4)
	cfg := testConfig(srv.Addr())
	cfg.Window = 1
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr.minBackoff, tr.maxBackoff = time.Hour, time.Hour
	runTransport(t, tr, newRecorder())
	waitUp(t, tr)

	parts := make([]*transport.Part, 20)
	for i := range parts {
		parts[i] = gsmPart(t, "+14155550100", fmt.Sprintf("m%d", i))
	}
	ctx := ctxTimeout(t, 20*time.Second)
	for _, p := range parts {
		accepted, failed := sendAll(ctx, tr, []*transport.Part{p})
		if accepted != 1 || failed != 0 {
			t.Fatalf("part %q: accepted %d, failed %d after %d binds; the bind backed off", p.Text, accepted, failed, srv.BindAttempts())
		}
	}
	if n := srv.BindAttempts(); n < 5 {
		t.Errorf("%d binds, want one per dropped link (at least 5)", n)
	}
}
