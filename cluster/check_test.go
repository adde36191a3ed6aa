package cluster

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nkeys"

	"github.com/smsbridge/smsbridge/configs"
)

// TestCheck: the files of the cluster settings are loaded; each kind of
// missing or wrong file is named.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, dir, "ca")
	cert, key := ca.issue(t, dir, "node")
	user, _ := nkeys.CreateUser()
	seedFile := writeFile(t, "user.nk", seed(t, user))
	junk := writeFile(t, "junk", []byte("not a key\n"))
	missing := filepath.Join(dir, "missing.pem")
	node := func(c *configs.Cluster) *configs.Config {
		base := configs.Cluster{Name: "c", Listen: "127.0.0.1:0", ClientListen: "127.0.0.1:0", Instance: "gw1"}
		if c != nil {
			c.Name, c.Listen, c.ClientListen, c.Instance = base.Name, base.Listen, base.ClientListen, base.Instance
			return &configs.Config{Cluster: c}
		}
		return &configs.Config{Cluster: &base}
	}
	client := func(n configs.NATS) *configs.Config { return &configs.Config{NATS: &n} }
	for _, c := range []struct {
		name string
		cfg  *configs.Config
		want string // "" for valid
	}{
		{"plain node", node(nil), ""},
		{"route TLS", node(&configs.Cluster{TLSCert: cert, TLSKey: key, TLSCA: ca.file}), ""},
		{"route cert missing", node(&configs.Cluster{TLSCert: missing, TLSKey: key}), "route certificate"},
		{"route CA junk", node(&configs.Cluster{TLSCert: cert, TLSKey: key, TLSCA: junk}), "no PEM certificate"},
		{"nkey", client(configs.NATS{NKeyFile: seedFile}), ""},
		{"nkey junk", client(configs.NATS{NKeyFile: junk}), "nkey_file"},
		{"creds missing", client(configs.NATS{CredsFile: missing}), "creds_file"},
		{"creds junk", client(configs.NATS{CredsFile: junk}), "no user seed"},
		{"creds without a JWT", client(configs.NATS{CredsFile: seedFile}), "no user JWT"},
		{"client TLS", client(configs.NATS{TLSCA: ca.file, TLSCert: cert, TLSKey: key}), ""},
		{"client cert missing", client(configs.NATS{TLSCert: missing, TLSKey: key}), "client certificate"},
	} {
		err := Check(c.cfg)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
	}
}
