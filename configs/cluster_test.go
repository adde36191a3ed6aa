package configs

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const clusterTables = `
[store]
backend = "nats"
path = "/var/lib/smsbridge/smsbridge.db"
[cluster]
listen = "0.0.0.0:6222"
peers = ["gw2.example.net:6222", "nats-route://gw3.example.net:6222"]
`

func TestClusterDefaults(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(sim+clusterTables), "c.toml")
	if err != nil {
		t.Fatal(err)
	}
	cl := c.Cluster
	if c.Store.Backend != BackendNATS || cl == nil || c.NATS != nil {
		t.Fatalf("backend %q, cluster %+v, nats %+v", c.Store.Backend, cl, c.NATS)
	}
	if cl.Name != "smsbridge" || cl.ClientListen != "127.0.0.1:4222" || cl.Replicas != 3 || cl.LeaseTTL.Duration != 30*time.Second {
		t.Errorf("defaults: %+v", cl)
	}
	if want := filepath.Join("/var/lib/smsbridge", "jetstream"); cl.StoreDir != want {
		t.Errorf("store_dir = %q, want %q beside the queue file", cl.StoreDir, want)
	}
	if cl.Instance != instanceName(hostname()) || !validName(cl.Instance) {
		t.Errorf("instance = %q from host name %q", cl.Instance, hostname())
	}
	var routes []string
	for _, u := range cl.RouteURLs() {
		routes = append(routes, u.String())
	}
	if got := strings.Join(routes, " "); got != "nats-route://gw2.example.net:6222 nats-route://gw3.example.net:6222" {
		t.Errorf("routes = %s", got)
	}
	if w := c.Warnings(); len(w) != 0 {
		t.Errorf("warnings for 3 replicas: %q", w)
	}

	d := Default()
	if d.Store.Backend != BackendBBolt || d.Cluster != nil || d.NATS != nil {
		t.Errorf("default store %+v, cluster %v, nats %v", d.Store, d.Cluster, d.NATS)
	}
}

func TestNATSDefaults(t *testing.T) {
	t.Parallel()
	src := sim + "[store]\nbackend = \"nats\"\n[nats]\nurls = [\"nats1:4222\", \"tls://nats2:4222\"]\nreplicas = 1\ninstance = \"gw-1\"\n"
	c, err := Parse([]byte(src), "n.toml")
	if err != nil {
		t.Fatal(err)
	}
	n := c.NATS
	if n.Prefix != "sb" || n.Replicas != 1 || n.LeaseTTL.Duration != 30*time.Second || n.Instance != "gw-1" {
		t.Errorf("nats = %+v", n)
	}
	if got := strings.Join(n.ClientURLs(), " "); got != "nats://nats1:4222 tls://nats2:4222" {
		t.Errorf("urls = %s", got)
	}
	if w := c.Warnings(); len(w) != 1 || !strings.HasPrefix(w[0], "nats.replicas = 1: ") {
		t.Errorf("warnings = %q", w)
	}
}

func TestClusterErrors(t *testing.T) {
	t.Parallel()
	const nats = "[store]\nbackend = \"nats\"\n[nats]\nurls = [\"nats://n:4222\"]\n"
	const cluster = "[store]\nbackend = \"nats\"\n[cluster]\nlisten = \"127.0.0.1:6222\"\npeers = [\"a:6222\", \"b:6222\"]\n"
	tests := []struct {
		name, src, want string
	}{
		{"unknown backend", "[store]\nbackend = \"etcd\" # <-", `store.backend: "etcd" is not one of bbolt, nats`},
		{"nats without a table", "[store]\nbackend = \"nats\" # <-", `store.backend: "nats" needs [cluster]`},
		{"both tables", cluster + "[nats] # <-\nurls = [\"n:4222\"]", "[cluster] and [nats] are both set"},
		{"cluster with bbolt", "[cluster] # <-\nlisten = \"127.0.0.1:6222\"", `cluster: [cluster] applies only with [store] backend = "nats"`},
		{"nats with bbolt", "[nats] # <-\nurls = [\"n:4222\"]", `nats: [nats] applies only with [store] backend = "nats"`},
		{"cluster without listen", "[store]\nbackend = \"nats\"\n[cluster] # <-\nreplicas = 1", "cluster.listen: must be set"},
		{"bad listen", cluster + "client_listen = \"4222\" # <-", `cluster.client_listen: "4222" is not host:port`},
		{"bad peer", "[store]\nbackend = \"nats\"\n[cluster]\nlisten = \":6222\"\npeers = [\"nats://a\"] # <-", `cluster.peers: "nats://a" is not host:port or nats-route://host:port`},
		{"replicas over nodes", cluster + "replicas = 4 # <-", "cluster.replicas: 4 copies need as many nodes; the cluster has 3 (this one and 2 peers)"},
		{"replicas 0", nats + "replicas = 0 # <-", "nats.replicas: 0 is not between 1 and 5"},
		{"replicas 6", nats + "replicas = 6 # <-", "nats.replicas: 6 is not between 1 and 5"},
		{"cert without key", cluster + "tls_cert = \"c.pem\" # <-", "cluster.tls_cert: tls_cert and tls_key go together"},
		{"ca without cert", cluster + "tls_ca = \"ca.pem\" # <-", "cluster.tls_ca: route TLS needs tls_cert and tls_key as well"},
		{"short lease", cluster + "lease_ttl = \"500ms\" # <-", "cluster.lease_ttl: 500ms is shorter than 1s"},
		{"bad instance", cluster + "instance = \"gw 1\" # <-", `cluster.instance: "gw 1" is no instance name`},
		{"bad cluster name", cluster + "name = \"a.b\" # <-", `cluster.name: "a.b" is no cluster name`},
		{"no urls", "[store]\nbackend = \"nats\"\n[nats] # <-\nprefix = \"x\"", "nats.urls: must list the NATS servers"},
		{"bad url", "[store]\nbackend = \"nats\"\n[nats]\nurls = [\"http://n:80\"] # <-", `nats.urls: "http://n:80" is not host:port`},
		{"creds and nkey", nats + "creds_file = \"a.creds\"\nnkey_file = \"a.nk\" # <-", "nats.nkey_file: creds_file and nkey_file exclude each other"},
		{"bad prefix", nats + "prefix = \"s.b\" # <-", `nats.prefix: "s.b" is no bucket prefix`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := sim + tc.src
			_, err := Parse([]byte(src), "t.toml")
			if err == nil {
				t.Fatalf("accepted:\n%s", src)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			var at string
			for _, e := range configErrors(err) {
				if strings.Contains(e.Error(), tc.want) {
					at = e.Error()
				}
			}
			if line := markedLine(src); !strings.HasPrefix(at, fmt.Sprintf("t.toml:%d: ", line)) {
				t.Errorf("error %q is not at line %d", at, line)
			}
		})
	}
}
