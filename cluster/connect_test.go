package cluster

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"

	"github.com/smsbridge/smsbridge/configs"
)

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func seed(t *testing.T, kp nkeys.KeyPair) []byte {
	t.Helper()
	s, err := kp.Seed()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// connectOnce connects with cfg, allowing a second for it.
func connectOnce(t *testing.T, cfg *configs.NATS) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	nc, err := Connect(ctx, cfg)
	if err == nil {
		defer nc.Close()
		if nc.Opts.Name != "smsbridge "+cfg.Instance {
			t.Errorf("connection name %q", nc.Opts.Name)
		}
		return nc.Flush()
	}
	return err
}

// TestConnectNKey: a server that knows one nkey user takes the gateway with
// that user's seed file and refuses it with another's, at once.
func TestConnectNKey(t *testing.T) {
	t.Parallel()
	user, _ := nkeys.CreateUser()
	pub, _ := user.PublicKey()
	s := singleServer(t, &server.Options{Nkeys: []*server.NkeyUser{{Nkey: pub}}})
	cfg := &configs.NATS{URLs: []string{s.ClientURL()}, NKeyFile: writeFile(t, "user.nk", seed(t, user)), Instance: "gw1"}
	if err := connectOnce(t, cfg); err != nil {
		t.Fatalf("with the user's seed: %v", err)
	}
	stranger, _ := nkeys.CreateUser()
	cfg.NKeyFile = writeFile(t, "stranger.nk", seed(t, stranger))
	start := time.Now()
	if err := connectOnce(t, cfg); err == nil {
		t.Fatal("a stranger's seed was let in")
	}
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Errorf("refused credentials were tried again for %s", d)
	}
}

// TestConnectCreds: a server in operator mode takes a user's creds file
// (JWT and seed) signed by an account it trusts, and not one signed by an
// account it does not know.
func TestConnectCreds(t *testing.T) {
	t.Parallel()
	op, _ := nkeys.CreateOperator()
	opPub, _ := op.PublicKey()
	oc := jwt.NewOperatorClaims(opPub)
	opJWT, err := oc.Encode(op)
	if err != nil {
		t.Fatal(err)
	}
	oc, err = jwt.DecodeOperatorClaims(opJWT)
	if err != nil {
		t.Fatal(err)
	}
	resolver := &server.MemAccResolver{}
	account := func(register bool) nkeys.KeyPair {
		acc, _ := nkeys.CreateAccount()
		accPub, _ := acc.PublicKey()
		accJWT, err := jwt.NewAccountClaims(accPub).Encode(op)
		if err != nil {
			t.Fatal(err)
		}
		if register {
			resolver.Store(accPub, accJWT)
		}
		return acc
	}
	creds := func(acc nkeys.KeyPair) string {
		user, _ := nkeys.CreateUser()
		userPub, _ := user.PublicKey()
		uc := jwt.NewUserClaims(userPub)
		userJWT, err := uc.Encode(acc)
		if err != nil {
			t.Fatal(err)
		}
		b, err := jwt.FormatUserConfig(userJWT, seed(t, user))
		if err != nil {
			t.Fatal(err)
		}
		return writeFile(t, "user.creds", b)
	}
	known, unknown := account(true), account(false)
	s := singleServer(t, &server.Options{TrustedOperators: []*jwt.OperatorClaims{oc}, AccountResolver: resolver})
	cfg := &configs.NATS{URLs: []string{s.ClientURL()}, CredsFile: creds(known), Instance: "gw1"}
	if err := connectOnce(t, cfg); err != nil {
		t.Fatalf("with creds of a known account: %v", err)
	}
	cfg.CredsFile = creds(unknown)
	if err := connectOnce(t, cfg); err == nil {
		t.Fatal("creds of an unknown account were let in")
	}
}

func TestOptionsFor(t *testing.T) {
	t.Parallel()
	cfg := &configs.Config{Cluster: &configs.Cluster{Instance: "gw1", Replicas: 3, LeaseTTL: configs.Duration{Duration: 30 * time.Second}}}
	if o, ok := OptionsFor(cfg, nil); !ok || o.Prefix != "sb" || o.Instance != "gw1" || o.Replicas != 3 || o.TTL != 30*time.Second {
		t.Errorf("[cluster]: %+v, %v", o, ok)
	}
	cfg = &configs.Config{NATS: &configs.NATS{Prefix: "p", Instance: "gw2", Replicas: 1, LeaseTTL: configs.Duration{Duration: time.Second}}}
	if o, ok := OptionsFor(cfg, nil); !ok || o.Prefix != "p" || o.Instance != "gw2" || o.Replicas != 1 || o.TTL != time.Second {
		t.Errorf("[nats]: %+v, %v", o, ok)
	}
	if _, ok := OptionsFor(&configs.Config{}, nil); ok {
		t.Error("options without [cluster] or [nats]")
	}
}
