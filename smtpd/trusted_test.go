package smtpd

import (
	"net/netip"
	"testing"
)

// TestSetTrustedNetworks: a reload of the trusted networks applies to the
// next connection: loopback trusted, then not (530 at MAIL), then again.
func TestSetTrustedNetworks(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{}, nil)
	mail := func(code int) {
		t.Helper()
		c := dialRaw(t, ts.addr)
		c.do("EHLO client.test", 250, "")
		c.do("MAIL FROM:<alice@example.com>", code, "")
	}
	mail(250)
	ts.srv.SetTrustedNetworks([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	mail(530)
	ts.srv.SetTrustedNetworks(loopbackOnly())
	mail(250)
}
