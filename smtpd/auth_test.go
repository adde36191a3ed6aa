package smtpd

import (
	"crypto/tls"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func untrusted() []netip.Prefix { return []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")} }

func authServer(t *testing.T, cfg Config) (*testServer, *tls.Config) {
	t.Helper()
	srvTLS, cliTLS := tlsSetup(t)
	cfg.TLS = srvTLS
	cfg.Users = []User{{Name: "alerts", PasswordHash: testHash(t, "s3cret pass")}}
	if cfg.TrustedNetworks == nil {
		cfg.TrustedNetworks = untrusted()
	}
	if cfg.AuthFailDelay == 0 {
		cfg.AuthFailDelay, cfg.AuthMaxDelay = 10*time.Millisecond, 40*time.Millisecond
	}
	return startServer(t, cfg, nil), cliTLS
}

func TestAuthOnlyAfterTLS(t *testing.T) {
	t.Parallel()
	ts, cliTLS := authServer(t, Config{})
	c := dialRaw(t, ts.addr)
	ehlo := c.do("EHLO client.test", 250, "")
	if !strings.Contains(ehlo, "STARTTLS") || strings.Contains(ehlo, "AUTH") {
		t.Fatalf("in clear EHLO should offer STARTTLS and not AUTH:\n%s", ehlo)
	}
	c.do("AUTH PLAIN "+plainIR("alerts", "s3cret pass"), 538, "5.7.11")
	c.do("MAIL FROM:<a@example.com>", 530, "5.7.0")

	c.startTLS(cliTLS)
	ehlo = c.do("EHLO client.test", 250, "")
	if !strings.Contains(ehlo, "AUTH PLAIN LOGIN") || strings.Contains(ehlo, "STARTTLS") {
		t.Fatalf("over TLS EHLO should offer AUTH PLAIN LOGIN:\n%s", ehlo)
	}
	c.do("AUTH PLAIN "+plainIR("alerts", "s3cret pass"), 235, "2.0.0")
	c.begin2()
	if code, _ := c.data("Subject: x\r\n\r\nhi\r\n"); code != 250 {
		t.Fatalf("DATA after AUTH: %d", code)
	}
	subs := ts.be.submissions()
	if len(subs) != 1 || subs[0].env.User != "alerts" || !subs[0].env.TLS {
		t.Fatalf("envelope: %+v", subs)
	}
	if got := ts.logs.find("pass"); len(got) != 0 {
		t.Errorf("the password reached the log: %q", got)
	}
}

// begin2 opens a transaction after EHLO has been done.
func (c *rawClient) begin2() {
	c.t.Helper()
	c.do("MAIL FROM:<alice@example.com>", 250, "2.0.0")
	c.do("RCPT TO:<"+goodRcpt+">", 250, "2.0.0")
}

func TestAuthLogin(t *testing.T) {
	t.Parallel()
	ts, cliTLS := authServer(t, Config{})
	tests := []struct {
		name  string
		steps [][2]string // what to send, reply expected (code and start)
	}{
		{"prompts", [][2]string{{"AUTH LOGIN", "334 " + b64("Username:")}, {b64("alerts"), "334 " + b64("Password:")}, {b64("s3cret pass"), "235"}}},
		{"initial response", [][2]string{{"AUTH LOGIN " + b64("alerts"), "334 " + b64("Password:")}, {b64("s3cret pass"), "235"}}},
		{"wrong password", [][2]string{{"AUTH LOGIN", "334"}, {b64("alerts"), "334"}, {b64("guess"), "535 5.7.8"}}},
		{"unknown user", [][2]string{{"AUTH LOGIN " + b64("root"), "334"}, {b64("s3cret pass"), "535 5.7.8"}}},
		{"cancelled", [][2]string{{"AUTH LOGIN", "334"}, {"*", "501"}}},
		// go-smtp itself answers base64 it cannot decode; under TLS its 454
		// cannot be replaced (TestAuthTrustedClientInClear: 501 in clear).
		{"bad base64", [][2]string{{"AUTH LOGIN", "334"}, {"%%%", "454"}}},
		{"plain without NULs", [][2]string{{"AUTH PLAIN " + b64("alerts s3cret pass"), "501 5.5.2"}}},
		{"plain with four fields", [][2]string{{"AUTH PLAIN", "334"}, {b64("a\x00alerts\x00s3cret pass\x00x"), "501 5.5.2"}}},
		{"plain identity differs", [][2]string{{"AUTH PLAIN " + b64("root\x00alerts\x00s3cret pass"), "535 5.7.8"}}},
		{"unknown mechanism", [][2]string{{"AUTH CRAM-MD5", "504"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := dialRaw(t, ts.addr)
			c.startTLS(cliTLS)
			c.do("EHLO client.test", 250, "")
			for _, st := range tt.steps {
				if err := c.tp.PrintfLine("%s", st[0]); err != nil {
					t.Fatal(err)
				}
				line, err := c.tp.ReadLine()
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(line, st[1]) {
					t.Fatalf("after %q: got %q, want %q", st[0], line, st[1])
				}
			}
		})
	}
}

func TestAuthTrustedClientInClear(t *testing.T) {
	t.Parallel()
	ts, _ := authServer(t, Config{TrustedNetworks: loopbackOnly()})
	c := dialRaw(t, ts.addr)
	if ehlo := c.do("EHLO client.test", 250, ""); !strings.Contains(ehlo, "AUTH PLAIN LOGIN") {
		t.Fatalf("a trusted client should be offered AUTH in clear:\n%s", ehlo)
	}
	// Data that is not base64 is the client's error: 501, in clear.
	c.do("AUTH PLAIN %%%", 501, "5.5.2")
	c.do("AUTH LOGIN", 334, "")
	c.do("%%%", 501, "5.5.2")
	c.do("AUTH PLAIN "+plainIR("alerts", "s3cret pass"), 235, "2.0.0")
}

// TestAuthFailuresSlowDown checks each failure from one address waits
// longer, up to the ceiling, and that success forgets them.
func TestAuthFailuresSlowDown(t *testing.T) {
	t.Parallel()
	ts, cliTLS := authServer(t, Config{AuthFailDelay: 50 * time.Millisecond, AuthMaxDelay: 200 * time.Millisecond})
	c := dialRaw(t, ts.addr)
	c.startTLS(cliTLS)
	c.do("EHLO client.test", 250, "")
	var took []time.Duration
	for range 4 {
		start := time.Now()
		c.do("AUTH PLAIN "+plainIR("alerts", "wrong"), 535, "5.7.8")
		took = append(took, time.Since(start))
	}
	for i, min := range []time.Duration{50, 100, 200, 200} {
		if took[i] < min*time.Millisecond {
			t.Errorf("failure %d answered after %v, want at least %v", i+1, took[i], min*time.Millisecond)
		}
	}
	if took[3] > 2*time.Second {
		t.Errorf("delay not bounded: %v", took[3])
	}
	if logs := ts.logs.find("smtp auth failed", "user=alerts", "failures=4"); len(logs) != 1 {
		t.Errorf("no log line for the 4th failure: %q", ts.logs.find("smtp auth failed"))
	}
	if logs := ts.logs.find("wrong"); len(logs) != 0 {
		t.Errorf("a password reached the log: %q", logs)
	}
	c.do("AUTH PLAIN "+plainIR("alerts", "s3cret pass"), 235, "2.0.0")
	if n, _ := ts.srv.throttle.fail(netip.MustParseAddr("127.0.0.1"), time.Now()); n != 1 {
		t.Errorf("after success the count is %d, want a fresh 1", n)
	}
}

func TestImplicitTLS(t *testing.T) {
	t.Parallel()
	srvTLS, cliTLS := tlsSetup(t)
	ts := startServer(t, Config{TLS: srvTLS, Users: []User{{Name: "alerts", PasswordHash: testHash(t, "pw")}},
		TrustedNetworks: untrusted()}, nil)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go ts.srv.ServeTLS(l)
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", l.Addr().String(), cliTLS)
	if err != nil {
		t.Fatal(err)
	}
	if v := conn.ConnectionState().Version; v < tls.VersionTLS12 {
		t.Errorf("TLS version %x", v)
	}
	c := wrapRaw(t, conn)
	if ehlo := c.do("EHLO client.test", 250, ""); strings.Contains(ehlo, "STARTTLS") || !strings.Contains(ehlo, "AUTH") {
		t.Fatalf("EHLO under implicit TLS:\n%s", ehlo)
	}
	c.do("AUTH PLAIN "+plainIR("alerts", "pw"), 235, "2.0.0")
}

func TestOldTLSRefused(t *testing.T) {
	t.Parallel()
	srvTLS, cliTLS := tlsSetup(t)
	srvTLS.MinVersion = tls.VersionTLS10 // the server raises it
	ts := startServer(t, Config{TLS: srvTLS}, nil)
	c := dialRaw(t, ts.addr)
	c.do("EHLO client.test", 250, "")
	c.do("STARTTLS", 220, "")
	old := cliTLS.Clone()
	old.MinVersion, old.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	if err := tls.Client(c.conn, old).Handshake(); err == nil {
		t.Fatal("a TLS 1.1 handshake succeeded")
	}
}
