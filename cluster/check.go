package cluster

import (
	"crypto/tls"
	"fmt"
	"os"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/smsbridge/smsbridge/configs"
)

// Check loads every file the cluster settings name, as StartNode and
// Connect would, without starting or connecting anything: `smsbridge
// check` fails where `serve` would.
func Check(cfg *configs.Config) error {
	if cfg.Cluster != nil {
		if _, err := serverOptions(cfg.Cluster); err != nil {
			return err
		}
	}
	n := cfg.NATS
	if n == nil {
		return nil
	}
	if n.CredsFile != "" {
		if err := checkCreds(n.CredsFile); err != nil {
			return err
		}
	}
	if n.NKeyFile != "" {
		if _, err := nats.NkeyOptionFromSeed(n.NKeyFile); err != nil {
			return fmt.Errorf("cluster: nkey_file: %w", err)
		}
	}
	if n.TLSCA != "" {
		if _, err := loadPool(n.TLSCA); err != nil {
			return err
		}
	}
	if n.TLSCert != "" {
		if _, err := tls.LoadX509KeyPair(n.TLSCert, n.TLSKey); err != nil {
			return fmt.Errorf("cluster: nats client certificate: %w", err)
		}
	}
	return nil
}

// checkCreds reads a credentials file: a user JWT and its seed.
func checkCreds(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("cluster: creds_file: %w", err)
	}
	if _, err := nkeys.ParseDecoratedUserNKey(data); err != nil {
		return fmt.Errorf("cluster: creds_file %s: no user seed: %w", file, err)
	}
	tok, err := nkeys.ParseDecoratedJWT(data)
	if err == nil {
		_, err = jwt.DecodeUserClaims(tok)
	}
	if err != nil {
		return fmt.Errorf("cluster: creds_file %s: no user JWT: %w", file, err)
	}
	return nil
}
