package cluster

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/smsbridge/smsbridge/configs"
)

// testCA signs certificates for 127.0.0.1, good for routes both ways.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string // PEM
}

func newCA(t *testing.T, dir, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	file := filepath.Join(dir, name+"-ca.pem")
	writePEM(t, file, "CERTIFICATE", der)
	return &testCA{cert: cert, key: key, file: file}
}

// issue writes a certificate and key for 127.0.0.1 and returns their files.
func (ca *testCA) issue(t *testing.T, dir, name string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", kder)
	return certFile, keyFile
}

func writePEM(t *testing.T, file, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRouteTLS: three nodes with certificates of one CA form a cluster over
// mutual TLS and replicate a bucket; a node whose certificate another CA
// signed, routing to them, never joins (it finds no meta leader).
func TestRouteTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := newCA(t, dir, "cluster")
	cfgs := clusterConfigs(t, 4)
	for i, c := range cfgs[:3] {
		c.TLSCert, c.TLSKey = ca.issue(t, dir, c.Instance)
		c.TLSCA = ca.file
		c.Peers = nil
		for j, o := range cfgs[:3] {
			if j != i {
				c.Peers = append(c.Peers, o.Listen)
			}
		}
	}
	rogue := cfgs[3]
	other := newCA(t, dir, "other")
	rogue.TLSCert, rogue.TLSKey = other.issue(t, dir, "rogue")
	rogue.TLSCA = ca.file // it trusts the cluster; the cluster does not trust it
	rogue.Peers = []string{cfgs[0].Listen}
	rogue.Replicas = 1

	nodes := startNodes(t, cfgs[:3])
	js := jetStream(t, nodes[2].Conn())
	waitJS(t, js)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	kv := createBucket(t, js, "tls", 3)
	if _, err := kv.PutString(ctx, "k", "v"); err != nil {
		t.Fatalf("replicated put over route TLS: %v", err)
	}

	r := startNodes(t, []*configs.Cluster{rogue})[0]
	wait, cancelWait := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancelWait()
	if err := WaitJetStream(wait, jetStream(t, r.Conn())); err == nil {
		t.Error("a node with a certificate of another CA joined the cluster")
	}
	st, err := nodes[0].State()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range st.Peers {
		if p.Name == rogue.Instance {
			t.Errorf("the cluster lists the rogue node: %+v", st)
		}
	}
}

// TestConnectTLS: Connect checks the server against tls_ca and shows its
// client certificate to a server that requires one; without the
// certificate it is refused.
func TestConnectTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := newCA(t, dir, "nats")
	certFile, keyFile := ca.issue(t, dir, "server")
	tc, err := routeTLS(certFile, keyFile, ca.file)
	if err != nil {
		t.Fatal(err)
	}
	s := singleServer(t, &server.Options{TLS: true, TLSVerify: true, TLSConfig: tc, TLSTimeout: 2})
	clientCert, clientKey := ca.issue(t, dir, "client")
	url := fmt.Sprintf("tls://%s", s.Addr().String())
	cfg := &configs.NATS{URLs: []string{url}, TLSCA: ca.file, TLSCert: clientCert, TLSKey: clientKey, Instance: "gw1"}
	if err := connectOnce(t, cfg); err != nil {
		t.Fatalf("with the client certificate: %v", err)
	}
	cfg.TLSCert, cfg.TLSKey = "", ""
	if err := connectOnce(t, cfg); err == nil {
		t.Fatal("connected without the client certificate the server requires")
	}
}
