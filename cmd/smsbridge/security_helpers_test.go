package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/smsbridge/smsbridge/configs"
)

// writeTestCert writes a throwaway self-signed certificate for 127.0.0.1
// to dir/cert.pem and dir/key.pem (generated now, never committed) and
// returns its serial number.
func writeTestCert(t *testing.T, dir string) *big.Int {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: "smsbridge test"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("key.pem", "PRIVATE KEY", pkcs8)
	write("cert.pem", "CERTIFICATE", der)
	return serial
}

// cheapHash is a bcrypt hash at the lowest cost, so tests stay fast.
func cheapHash(t *testing.T, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// secureConfig: TLS on both listeners, loopback NOT trusted, one user
// "alerts" (password "correct horse") who may send as @example.com.
const secureConfig = `
[smtp]
listen = ["127.0.0.1:0"]
listen_tls = ["127.0.0.1:0"]
domains = ["sms.test"]
trusted_networks = ["192.0.2.0/24"]
tls_cert = "%DIR%/cert.pem"
tls_key = "%DIR%/key.pem"

[[smtp.users]]
name = "alerts"
password_hash = "%HASH%"
allowed_senders = ["@example.com"]

[store]
path = "%DIR%/data/smsbridge.db"

[[transports]]
name = "sim"
type = "simulator"

[receipts]
mode = "none"
maildir = "%DIR%/mail"
`

const userPassword = "correct horse"

// startSecureGateway runs the gateway in-process on secureConfig (with
// extra appended) and returns its plain and implicit-TLS addresses.
func startSecureGateway(t *testing.T, extra string) (plain, implicit string) {
	t.Helper()
	dir := t.TempDir()
	writeTestCert(t, dir)
	text := strings.ReplaceAll(secureConfig, "%HASH%", cheapHash(t, userPassword)) + extra
	cfg, err := configs.Load(writeConfig(t, dir, text))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan []net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- runGateway(ctx, cfg, testLogger(t), func(a []net.Addr) { addrs <- a }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("gateway did not stop within 30s")
		}
	})
	select {
	case a := <-addrs:
		return a[0].String(), a[1].String()
	case err := <-done:
		t.Fatalf("gateway did not start: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("gateway did not start within 10s")
	}
	return "", ""
}

// insecureClientTLS trusts any certificate: these tests check what the
// server does once encrypted, not certificate validation.
var insecureClientTLS = &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}

// startTLS upgrades a raw session with STARTTLS.
func (s *rawSMTP) startTLS() {
	s.t.Helper()
	if r := s.cmd("STARTTLS"); !strings.HasPrefix(r, "220") {
		s.t.Fatalf("STARTTLS: %q", r)
	}
	tc := tls.Client(s.conn, insecureClientTLS)
	if err := tc.Handshake(); err != nil {
		s.t.Fatalf("TLS handshake: %v", err)
	}
	s.conn, s.r = tc, bufio.NewReader(tc)
}

// login does EHLO and AUTH PLAIN as alerts.
func (s *rawSMTP) login() {
	s.t.Helper()
	s.cmd("EHLO client.test")
	ir := base64.StdEncoding.EncodeToString([]byte("\x00alerts\x00" + userPassword))
	if r := s.cmd("AUTH PLAIN %s", ir); !strings.HasPrefix(r, "235") {
		s.t.Fatalf("AUTH: %q", r)
	}
}

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o600) }
