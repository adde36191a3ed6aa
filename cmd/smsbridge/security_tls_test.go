package main

import (
	"context"
	"crypto/tls"
	"math/big"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCertificateReloadOnSIGHUP runs a real daemon, replaces its
// certificate files and sends SIGHUP: new handshakes present the new
// certificate, and a broken file keeps the old one.
func TestCertificateReloadOnSIGHUP(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := writeTestCert(t, dir)
	plain, implicit := freePort(t), freePort(t)
	text := strings.NewReplacer(`listen = ["127.0.0.1:0"]`, `listen = ["`+plain+`"]`,
		`listen_tls = ["127.0.0.1:0"]`, `listen_tls = ["`+implicit+`"]`,
		"%HASH%", cheapHash(t, userPassword)).Replace(secureConfig)
	d := startDaemon(t, dir, plain, "-config", writeConfig(t, dir, text))
	if got := serverSerial(t, implicit); got.Cmp(first) != 0 {
		t.Fatalf("serial %v, want %v", got, first)
	}
	second := writeTestCert(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d.cmd.Process.Signal(syscall.SIGHUP)
	for serverSerial(t, implicit).Cmp(second) != 0 {
		select {
		case <-ctx.Done():
			t.Fatalf("certificate not reloaded after SIGHUP\n%s", d.log.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err := writeFile(dir+"/cert.pem", "not a certificate"); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGHUP)
	if err := d.waitLog(ctx, "TLS certificate reload failed"); err != nil {
		t.Fatal(err)
	}
	if got := serverSerial(t, implicit); got.Cmp(second) != 0 {
		t.Fatalf("after a failed reload the serial is %v, want %v", got, second)
	}
	if code := d.stop(20 * time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// serverSerial handshakes with addr (implicit TLS) and returns the serial
// of the certificate it presents.
func serverSerial(t *testing.T, addr string) *big.Int {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, insecureClientTLS)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if v := conn.ConnectionState().Version; v < tls.VersionTLS12 {
		t.Errorf("TLS version %x", v)
	}
	return conn.ConnectionState().PeerCertificates[0].SerialNumber
}
