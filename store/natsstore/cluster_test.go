package natsstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/store/storetest"
)

// freePort is a loopback port nobody listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startCluster starts n JetStream servers routed to each other on loopback
// and waits until JetStream has a meta leader.
func startCluster(t *testing.T, n int) ([]*server.Server, []*server.Options, string) {
	t.Helper()
	ports := make([]int, n)
	var routes []*url.URL
	for i := range ports {
		ports[i] = freePort(t)
		routes = append(routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", ports[i])})
	}
	var srvs []*server.Server
	var opts []*server.Options
	var urls []string
	for i := range n {
		o := &server.Options{
			ServerName: fmt.Sprintf("n%d", i), JetStream: true, StoreDir: t.TempDir(),
			Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true,
			Cluster: server.ClusterOpts{Name: "sb", Host: "127.0.0.1", Port: ports[i]},
			Routes:  routes,
		}
		srvs = append(srvs, startNode(t, o))
		opts = append(opts, o)
	}
	for _, srv := range srvs {
		if !srv.ReadyForConnections(20 * time.Second) {
			t.Fatal("cluster node not ready")
		}
		urls = append(urls, srv.ClientURL())
	}
	all := strings.Join(urls, ",")
	nc, js := connect(t, all)
	defer nc.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := js.AccountInfo(ctx)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no JetStream meta leader: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return srvs, opts, all
}

// startNode starts one server of a cluster; again after a Shutdown, o
// brings it back with its data.
func startNode(t *testing.T, o *server.Options) *server.Server {
	t.Helper()
	srv, err := server.NewServer(o.Clone())
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(srv.Shutdown)
	return srv
}

// TestCluster runs the suite on three servers with three replicas, and
// the shared-store tests with each instance on a server of its own; then
// it stops the servers one by one: with one gone writes go on; with two
// gone there is no quorum and a write fails within its timeout, shown by
// WriteFailure; with one of them back, writes work again.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	srvs, opts, urls := startCluster(t, 3)
	nc, js := connect(t, urls)
	defer nc.Close()
	t.Run("suite", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) storetest.Open {
			prefix := freshPrefix()
			return func() (storetest.Backend, error) { return openOn(js, prefix, "gw1", 3) }
		})
	})

	// Instances of one store, each on a server of its own.
	t.Run("shared", func(t *testing.T) {
		var jss []jetstream.JetStream
		for _, srv := range srvs[:2] {
			nc, js := connect(t, srv.ClientURL())
			t.Cleanup(nc.Close)
			jss = append(jss, js)
		}
		storetest.RunShared(t, testLease, func(t *testing.T) storetest.OpenInstance {
			prefix := freshPrefix()
			return func(name string) (storetest.Instance, error) {
				js := jss[0]
				if name != "a" {
					js = jss[1]
				}
				s, err := openOn(js, prefix, name, 3)
				if err != nil {
					return storetest.Instance{}, err
				}
				return storetest.Instance{Backend: s, Kill: s.kill}, nil
			}
		})
	})

	s, err := openOn(js, freshPrefix(), "gw1", 3)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	msg := func(id string) *store.Message {
		return &store.Message{ID: id, Received: time.Now(), Class: priority.Normal,
			Recipients: []store.Recipient{{Number: "+41790000000", Parts: []store.Part{{Text: "hello"}}}}}
	}
	if err := s.Enqueue(ctx, msg("before")); err != nil {
		t.Fatal(err)
	}

	srvs[2].Shutdown()
	srvs[2].WaitForShutdown()
	// The bucket's leader may have been the one stopped: a write may fail
	// while the other two elect another, then works.
	var werr error
	for i := range 20 {
		if werr = s.Enqueue(ctx, msg(fmt.Sprint("one-down-", i))); werr == nil {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if werr != nil {
		t.Fatalf("Enqueue with one server of three stopped: %v", werr)
	}
	if _, err := s.Message("before"); err != nil {
		t.Errorf("Message after one server stopped: %v", err)
	}
	if _, err := s.WriteFailure(); err != nil {
		t.Errorf("WriteFailure after a write that worked: %v", err)
	}

	srvs[1].Shutdown()
	srvs[1].WaitForShutdown()
	start := time.Now()
	err = s.Enqueue(ctx, msg("no-quorum"))
	took := time.Since(start)
	if err == nil {
		t.Fatal("Enqueue without a quorum succeeded")
	}
	// Each write is bounded by the timeout; Enqueue's first one fails.
	if took > s.opt.Timeout+2*time.Second {
		t.Errorf("Enqueue without a quorum took %v, timeout %v", took, s.opt.Timeout)
	}
	if since, ferr := s.WriteFailure(); ferr == nil || since.IsZero() {
		t.Errorf("WriteFailure without a quorum = %v, %v; want the failure", since, ferr)
	}
	if errors.Is(err, store.ErrExists) {
		t.Errorf("Enqueue without a quorum: %v, want a write failure", err)
	}

	// One server back: a quorum again, and writes work again.
	srvs[1] = startNode(t, opts[1])
	if !srvs[1].ReadyForConnections(20 * time.Second) {
		t.Fatal("restarted node not ready")
	}
	for i := range 80 {
		if werr = s.Enqueue(ctx, msg(fmt.Sprint("back-", i))); werr == nil {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if werr != nil {
		t.Fatalf("Enqueue with two servers of three again: %v", werr)
	}
	if _, err := s.WriteFailure(); err != nil {
		t.Errorf("WriteFailure after writes work again: %v", err)
	}
	if _, err := s.Message("before"); err != nil {
		t.Errorf("Message after the quorum came back: %v", err)
	}
}
