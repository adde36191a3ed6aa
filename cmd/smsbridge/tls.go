package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/smsbridge/smsbridge/configs"
)

// certReloader serves the certificate of [smtp] tls_cert and tls_key and
// loads it again on SIGHUP, so that a renewed certificate takes effect
// without a restart. A reload that fails keeps the old certificate.
type certReloader struct {
	certFile, keyFile string
	log               *slog.Logger
	cert              atomic.Pointer[tls.Certificate]
}

func newCertReloader(certFile, keyFile string, log *slog.Logger) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, log: log}
	if err := r.reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// reload reads the files and swaps the certificate in.
func (r *certReloader) reload() error {
	c, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("smtp.tls_cert: loading %s and %s: %w", r.certFile, r.keyFile, err)
	}
	if c.Leaf == nil && len(c.Certificate) > 0 {
		c.Leaf, _ = x509.ParseCertificate(c.Certificate[0])
	}
	r.cert.Store(&c)
	if c.Leaf != nil {
		r.log.Info("TLS certificate loaded", "file", r.certFile, "subject", c.Leaf.Subject.String(),
			"not_after", c.Leaf.NotAfter)
	}
	return nil
}

func (r *certReloader) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.cert.Load(), nil
}

// reloadOrKeep loads the files again (on SIGHUP); a pair that does not
// load leaves the old certificate in use. A nil reloader has nothing to do.
func (r *certReloader) reloadOrKeep() {
	if r == nil {
		return
	}
	if err := r.reload(); err != nil {
		r.log.Error("TLS certificate reload failed; keeping the old one", "err", err)
	}
}

// serverTLS returns the SMTP server's TLS configuration, nil when no
// certificate is configured, and the reloader that SIGHUP calls.
func serverTLS(cfg *configs.Config, log *slog.Logger) (*tls.Config, *certReloader, error) {
	if cfg.SMTP.TLSCert == "" {
		return nil, nil, nil
	}
	r, err := newCertReloader(cfg.SMTP.TLSCert, cfg.SMTP.TLSKey, log)
	if err != nil {
		return nil, nil, err
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.getCertificate}, r, nil
}
