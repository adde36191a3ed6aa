package cluster

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/smsbridge/smsbridge/internal/kvbucket"

	"github.com/smsbridge/smsbridge/configs"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// freePorts reserves n loopback ports from the OS and frees them for the
// nodes, which must know each other's route ports before they start.
func freePorts(t testing.TB, n int) []string {
	t.Helper()
	var out []string
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().String())
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

// clusterConfigs are n nodes on loopback routing to each other.
func clusterConfigs(t testing.TB, n int) []*configs.Cluster {
	t.Helper()
	routes := freePorts(t, n)
	var out []*configs.Cluster
	for i := range n {
		var peers []string
		for j, r := range routes {
			if j != i {
				peers = append(peers, r)
			}
		}
		out = append(out, &configs.Cluster{
			Name: "test", Listen: routes[i], Peers: peers, ClientListen: "127.0.0.1:0",
			StoreDir: t.TempDir(), Replicas: n, LeaseTTL: configs.Duration{Duration: time.Second},
			Instance: fmt.Sprintf("n%d", i+1),
		})
	}
	return out
}

// startNodes starts the nodes at once (each waits for the others' routes)
// and stops them at the end of the test.
func startNodes(t *testing.T, cfgs []*configs.Cluster) []*Node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	nodes := make([]*Node, len(cfgs))
	errs := make(chan error, len(cfgs))
	for i, c := range cfgs {
		go func() {
			n, err := StartNode(ctx, c, quiet())
			nodes[i] = n
			errs <- err
		}()
	}
	for range cfgs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range nodes {
		t.Cleanup(func() { stopNode(t, n) })
	}
	return nodes
}

func stopNode(t *testing.T, n *Node) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Shutdown(ctx); err != nil {
		t.Error(err)
	}
}

func jetStream(t *testing.T, nc *nats.Conn) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func waitJS(t *testing.T, js jetstream.JetStream) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := WaitJetStream(ctx, js); err != nil {
		t.Fatal(err)
	}
}

// singleServer is one server on loopback, without a cluster, with opts'
// authentication and JetStream if set.
func singleServer(t *testing.T, opts *server.Options) *server.Server {
	t.Helper()
	opts.Host, opts.Port, opts.NoSigs = "127.0.0.1", server.RANDOM_PORT, true
	if opts.JetStream {
		opts.StoreDir = t.TempDir()
	}
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s
}

// createBucket creates a bucket, again while the cluster cannot place it
// yet, for up to 20 s.
func createBucket(t *testing.T, js jetstream.JetStream, name string, replicas int) jetstream.KeyValue {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	kv, err := kvbucket.Open(ctx, js, jetstream.KeyValueConfig{Bucket: name, Replicas: replicas, Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
	return kv
}
