package configs

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"
)

// Store backends ([store] backend).
const (
	BackendBBolt = "bbolt" // one file, one gateway
	BackendNATS  = "nats"  // NATS JetStream: several gateways as one
)

// Defaults of [cluster] and [nats].
const (
	DefaultClusterName  = "smsbridge"
	DefaultClientListen = "127.0.0.1:4222" // the embedded node's clients: the nats CLI on the host
	DefaultReplicas     = 3
	DefaultLeaseTTL     = 30 * time.Second
	DefaultNATSPrefix   = "sb"
	maxReplicas         = 5 // JetStream's bound
)

// Cluster runs an embedded NATS JetStream node in each gateway; the gateways'
// nodes form one cluster among themselves. Nil when the file has no [cluster].
type Cluster struct {
	Name         string   `toml:"name"`          // cluster name, the same on every node
	Listen       string   `toml:"listen"`        // route listener, host:port
	Peers        []string `toml:"peers"`         // the other nodes' routes: host:port or nats-route://host:port
	ClientListen string   `toml:"client_listen"` // client listener of the node, host:port (port 0: any)
	StoreDir     string   `toml:"store_dir"`     // JetStream's files; default beside [store] path
	Replicas     int      `toml:"replicas"`      // copies of each stream and bucket, 1 to 5
	TLSCert      string   `toml:"tls_cert"`      // route TLS; with tls_ca, mutual
	TLSKey       string   `toml:"tls_key"`
	TLSCA        string   `toml:"tls_ca"`
	LeaseTTL     Duration `toml:"lease_ttl"` // a bind lease or presence not renewed this long is gone
	Instance     string   `toml:"instance"`  // this node's server name; stable across restarts
}

// NATS connects to an existing NATS cluster with JetStream. Nil when the
// file has no [nats].
type NATS struct {
	URLs      []string `toml:"urls"` // nats://host:port, tls://host:port or host:port
	CredsFile string   `toml:"creds_file"`
	NKeyFile  string   `toml:"nkey_file"` // an nkey seed (SU...)
	TLSCA     string   `toml:"tls_ca"`
	TLSCert   string   `toml:"tls_cert"`
	TLSKey    string   `toml:"tls_key"`
	Replicas  int      `toml:"replicas"`
	Prefix    string   `toml:"prefix"` // bucket and stream name prefix
	Instance  string   `toml:"instance"`
	LeaseTTL  Duration `toml:"lease_ttl"`
}

// applyClusterDefaults fills the unset keys of [cluster] and [nats]; raw
// is the generic decoding, which tells which keys the file wrote.
func applyClusterDefaults(c *Config, raw map[string]any) {
	if cl := c.Cluster; cl != nil {
		fill := func(key string, apply func()) {
			if !isSet(raw["cluster"], key) {
				apply()
			}
		}
		fill("name", func() { cl.Name = DefaultClusterName })
		fill("client_listen", func() { cl.ClientListen = DefaultClientListen })
		fill("store_dir", func() { cl.StoreDir = filepath.Join(filepath.Dir(c.Store.Path), "jetstream") })
		fill("replicas", func() { cl.Replicas = DefaultReplicas })
		fill("lease_ttl", func() { cl.LeaseTTL = dur(DefaultLeaseTTL) })
		fill("instance", func() { cl.Instance = instanceName(hostname()) })
	}
	if n := c.NATS; n != nil {
		fill := func(key string, apply func()) {
			if !isSet(raw["nats"], key) {
				apply()
			}
		}
		fill("replicas", func() { n.Replicas = DefaultReplicas })
		fill("prefix", func() { n.Prefix = DefaultNATSPrefix })
		fill("lease_ttl", func() { n.LeaseTTL = dur(DefaultLeaseTTL) })
		fill("instance", func() { n.Instance = instanceName(hostname()) })
	}
}

func isSet(table any, key string) bool {
	m, _ := table.(map[string]any)
	_, ok := m[key]
	return ok
}

// instanceName makes a host name into an instance name: characters other
// than letters, digits, '-' and '_' become '-'.
func instanceName(host string) string {
	return strings.Map(func(r rune) rune {
		if validInstanceRune(r) {
			return r
		}
		return '-'
	}, host)
}

func validInstanceRune(r rune) bool {
	return r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

func (cfg *Config) validateBackend(c *checker) {
	c.oneOf("store.backend", cfg.Store.Backend, BackendBBolt, BackendNATS)
	switch {
	case cfg.Store.Backend == BackendNATS && cfg.Cluster == nil && cfg.NATS == nil:
		c.add("store.backend", `"nats" needs [cluster] (an embedded node in each gateway) or [nats] (an existing NATS cluster)`)
	case cfg.Store.Backend == BackendNATS && cfg.Cluster != nil && cfg.NATS != nil:
		c.add("nats", "[cluster] and [nats] are both set: keep one (embedded nodes or an existing NATS)")
	case cfg.Store.Backend != BackendNATS && cfg.Cluster != nil:
		c.add("cluster", `[cluster] applies only with [store] backend = "nats"`)
	case cfg.Store.Backend != BackendNATS && cfg.NATS != nil:
		c.add("nats", `[nats] applies only with [store] backend = "nats"`)
	}
	if cfg.Cluster != nil {
		cfg.Cluster.validate(c)
	}
	if cfg.NATS != nil {
		cfg.NATS.validate(c)
	}
}

func (cl *Cluster) validate(c *checker) {
	if !validName(cl.Name) {
		c.add("cluster.name", "%q is no cluster name: letters, digits, '-' and '_'", cl.Name)
	}
	if cl.Listen == "" {
		c.add("cluster.listen", "must be set: the host:port the other nodes' routes connect to")
	} else {
		c.hostPort("cluster.listen", cl.Listen)
	}
	for _, p := range cl.Peers {
		if _, err := routeURL(p); err != nil {
			c.add("cluster.peers", "%q is not host:port or nats-route://host:port", p)
		}
	}
	c.hostPort("cluster.client_listen", cl.ClientListen)
	if cl.StoreDir == "" {
		c.add("cluster.store_dir", "must not be empty")
	}
	validateReplicas(c, "cluster.replicas", cl.Replicas)
	if nodes := len(cl.Peers) + 1; cl.Replicas > nodes {
		c.add("cluster.replicas", "%d copies need as many nodes; the cluster has %d (this one and %d peers)", cl.Replicas, nodes, len(cl.Peers))
	}
	validateTLSFiles(c, "cluster", cl.TLSCert, cl.TLSKey, cl.TLSCA)
	validateLeaseTTL(c, "cluster.lease_ttl", cl.LeaseTTL)
	validateInstance(c, "cluster.instance", cl.Instance)
}

func (n *NATS) validate(c *checker) {
	if len(n.URLs) == 0 {
		c.add("nats.urls", "must list the NATS servers to connect to, such as \"nats://nats1.example.net:4222\"")
	}
	for _, u := range n.URLs {
		if _, err := clientURL(u); err != nil {
			c.add("nats.urls", "%q is not host:port, nats://host:port or tls://host:port", u)
		}
	}
	if n.CredsFile != "" && n.NKeyFile != "" {
		c.add("nats.nkey_file", "creds_file and nkey_file exclude each other: a creds file holds its own nkey")
	}
	validateTLSFiles(c, "nats", n.TLSCert, n.TLSKey, "")
	validateReplicas(c, "nats.replicas", n.Replicas)
	if !validName(n.Prefix) {
		c.add("nats.prefix", "%q is no bucket prefix: letters, digits, '-' and '_'", n.Prefix)
	}
	validateInstance(c, "nats.instance", n.Instance)
	validateLeaseTTL(c, "nats.lease_ttl", n.LeaseTTL)
}

func validateReplicas(c *checker, path string, n int) {
	if n < 1 || n > maxReplicas {
		c.add(path, "%d is not between 1 and %d", n, maxReplicas)
	}
}

// validateTLSFiles checks a certificate and key given together; a CA alone
// (server verification only) is fine where ca is checked by the caller.
func validateTLSFiles(c *checker, table, cert, key, ca string) {
	if (cert == "") != (key == "") {
		c.add(table+".tls_cert", "tls_cert and tls_key go together")
	}
	if table == "cluster" && ca != "" && cert == "" {
		c.add(table+".tls_ca", "route TLS needs tls_cert and tls_key as well")
	}
}

func validateLeaseTTL(c *checker, path string, d Duration) {
	if d.Duration < time.Second {
		c.add(path, "%s is shorter than 1s; leases are renewed every third of it", d.Duration)
	}
}

func validateInstance(c *checker, path, v string) {
	if !validName(v) || len(v) > 64 {
		c.add(path, "%q is no instance name: 1 to 64 letters, digits, '-' and '_', the same across restarts", v)
	}
}

// validName reports whether s is a NATS bucket or server name piece.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !validInstanceRune(r) {
			return false
		}
	}
	return true
}

// routeURL is a [cluster] peer as a route URL.
func routeURL(s string) (*url.URL, error) {
	return schemeURL(s, "nats-route", "nats-route", "nats", "tls")
}

// clientURL is a [nats] url as a client URL.
func clientURL(s string) (*url.URL, error) {
	return schemeURL(s, "nats", "nats", "tls")
}

// schemeURL parses host:port or scheme://host:port with one of the schemes
// allowed; a bare host:port gets scheme def.
func schemeURL(s, def string, allowed ...string) (*url.URL, error) {
	if !strings.Contains(s, "://") {
		s = def + "://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	ok := false
	for _, a := range allowed {
		ok = ok || u.Scheme == a
	}
	if !ok || u.Host == "" || u.Port() == "" || u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("configs: %q: want host:port", s)
	}
	return u, nil
}

// RouteURLs are the [cluster] peers as route URLs (nats-route://host:port).
func (cl *Cluster) RouteURLs() []*url.URL {
	out := make([]*url.URL, 0, len(cl.Peers))
	for _, p := range cl.Peers {
		if u, err := routeURL(p); err == nil {
			out = append(out, u)
		}
	}
	return out
}

// ClientURLs are the [nats] urls with a scheme (nats://host:port).
func (n *NATS) ClientURLs() []string {
	out := make([]string, 0, len(n.URLs))
	for _, s := range n.URLs {
		if u, err := clientURL(s); err == nil {
			out = append(out, u.String())
		}
	}
	return out
}

// Warnings are settings that are valid but risky, for `check` and `serve`
// to show.
func (cfg *Config) Warnings() []string {
	var out []string
	one := func(key string) {
		out = append(out, key+" = 1: each stream and bucket lives on one node; if its disk is lost, so is the queue, and while it is down no gateway can use the queue")
	}
	if cfg.Cluster != nil && cfg.Cluster.Replicas == 1 {
		one("cluster.replicas")
	}
	if cfg.NATS != nil && cfg.NATS.Replicas == 1 {
		one("nats.replicas")
	}
	return out
}
