package smppserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

// selfSigned is a certificate for 127.0.0.1 and the pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// TestSessionOverTLS: over TLS an ESME binds, a second bind is refused,
// enquire_link and unbind are answered, submit_sm on a receiver bind is
// refused, and an unknown command gets generic_nack.
func TestSessionOverTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	addr, _ := startServerOn(t, 0, func(l net.Listener) net.Listener {
		return tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	})
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	call := func(id uint32, seq uint32, body []byte) pdu.PDU {
		t.Helper()
		if _, err := c.Write(pdu.PDU{ID: id, Seq: seq, Body: body}.Bytes()); err != nil {
			t.Fatal(err)
		}
		p, err := pdu.Read(c)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	bind := pdu.Bind{SystemID: "esme", Password: "pw", InterfaceVersion: 0x34}.Encode()
	if p := call(pdu.BindReceiver, 1, bind); p.ID != pdu.BindReceiverResp || p.Status != pdu.StatusOK || p.Seq != 1 {
		t.Fatalf("bind: %+v", p)
	}
	if p := call(pdu.BindTransceiver, 2, bind); p.Status != pdu.StatusAlyBnd {
		t.Errorf("second bind: %+v", p)
	}
	if p := call(pdu.EnquireLink, 3, nil); p.ID != pdu.EnquireLinkResp || p.Status != pdu.StatusOK {
		t.Errorf("enquire_link: %+v", p)
	}
	sm, _ := (&pdu.SM{Dest: "+14155550100", ShortMessage: []byte("hi")}).Encode()
	if p := call(pdu.SubmitSM, 4, sm); p.ID != pdu.SubmitSMResp || p.Status != pdu.StatusInvBnd {
		t.Errorf("submit_sm on a receiver: %+v", p)
	}
	if p := call(0x00000103, 5, nil); p.ID != pdu.GenericNack || p.Status != pdu.StatusInvCmdID {
		t.Errorf("unknown command: %+v", p)
	}
	if p := call(pdu.Unbind, 6, nil); p.ID != pdu.UnbindResp || p.Status != pdu.StatusOK {
		t.Errorf("unbind: %+v", p)
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	var ne net.Error
	if _, err := pdu.Read(c); err == nil || errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("the session stayed open after unbind: %v", err)
	}
}
