package natsstore

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/store/storetest"
)

// startServer starts a JetStream server on loopback keeping its data in
// dir.
func startServer(t testing.TB, dir string) *server.Server {
	t.Helper()
	srv, err := server.NewServer(&server.Options{JetStream: true, StoreDir: dir, Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready")
	}
	return srv
}

func connect(t testing.TB, url string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// shared is the one server of the test binary that most tests use.
var shared struct {
	srv *server.Server
	js  jetstream.JetStream
}

var prefixes atomic.Int64

func freshPrefix() string { return fmt.Sprintf("t%d", prefixes.Add(1)) }

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	dir, err := os.MkdirTemp("", "natsstore")
	if err != nil {
		panic(err)
	}
	srv, err := server.NewServer(&server.Options{JetStream: true, StoreDir: dir, Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		panic(err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		panic("nats server not ready")
	}
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		panic(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		panic(err)
	}
	shared.srv, shared.js = srv, js
	code := m.Run()
	nc.Close()
	srv.Shutdown()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// openOn opens a store of prefix on js as instance inst, with a short
// lease.
func openOn(js jetstream.JetStream, prefix, inst string, replicas int) (*Store, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return Open(ctx, js, Options{Prefix: prefix, Instance: inst, Replicas: replicas, LeaseTTL: testLease,
		Timeout: 3 * time.Second, Logger: quiet()})
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Open {
		prefix := freshPrefix()
		return func() (storetest.Backend, error) { return openOn(shared.js, prefix, "gw1", 1) }
	})
}

// connStore is a store that owns its connection, for the tests that
// restart the server under it.
type connStore struct {
	*Store
	nc *nats.Conn
}

func (c connStore) Close() error {
	err := c.Store.Close()
	c.nc.Close()
	return err
}

// TestConformanceRestart runs the suite with the server shut down and
// started again on its data between every Close and Open: what a store
// promises survives the server's restart too.
func TestConformanceRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a server per test")
	}
	storetest.Run(t, func(t *testing.T) storetest.Open {
		dir := t.TempDir()
		var srv *server.Server
		t.Cleanup(func() {
			if srv != nil {
				srv.Shutdown()
			}
		})
		return func() (storetest.Backend, error) {
			if srv != nil {
				srv.Shutdown()
				srv.WaitForShutdown()
			}
			srv = startServer(t, dir)
			nc, js := connect(t, srv.ClientURL())
			s, err := openOn(js, "sb", "gw1", 1)
			if err != nil {
				nc.Close()
				return nil, err
			}
			return connStore{s, nc}, nil
		}
	})
}

const testLease = 1500 * time.Millisecond

func TestShared(t *testing.T) {
	storetest.RunShared(t, testLease, func(t *testing.T) storetest.OpenInstance {
		prefix := freshPrefix()
		return func(name string) (storetest.Instance, error) {
			s, err := openOn(shared.js, prefix, name, 1)
			if err != nil {
				return storetest.Instance{}, err
			}
			return storetest.Instance{Backend: s, Kill: s.kill}, nil
		}
	})
}

func TestCopy(t *testing.T) {
	bbolt := func(t *testing.T) storetest.Open {
		path := filepath.Join(t.TempDir(), "queue.db")
		return func() (storetest.Backend, error) { return store.Open(path, store.Options{Logger: quiet()}) }
	}
	nats := func(t *testing.T) storetest.Open {
		prefix := freshPrefix()
		return func() (storetest.Backend, error) { return openOn(shared.js, prefix, "gw1", 1) }
	}
	t.Run("bbolt to nats", func(t *testing.T) { storetest.RunCopy(t, bbolt, nats) })
	t.Run("nats to bbolt", func(t *testing.T) { storetest.RunCopy(t, nats, bbolt) })
	t.Run("nats to nats", func(t *testing.T) { storetest.RunCopy(t, nats, nats) })
}

// TestAlive: an instance counts as gone once its heartbeat is older than
// the lease here, unless this instance's own view lags behind the bucket.
func TestAlive(t *testing.T) {
	s := &Store{opt: Options{Instance: "b", LeaseTTL: time.Second}, view: newView(quiet())}
	now := time.Now()
	s.view.live["fresh"] = now.Add(-500 * time.Millisecond)
	s.view.live["stale"] = now.Add(-2 * time.Second)
	s.echoed.Store(now.UnixNano())
	for inst, want := range map[string]bool{"b": true, "fresh": true, "stale": false, "never": false, "": false} {
		if got := s.alive(s.view, inst); got != want {
			t.Errorf("alive(%q) = %v, want %v", inst, got, want)
		}
	}
	s.echoed.Store(now.Add(-time.Second).UnixNano())
	if !s.alive(s.view, "stale") {
		t.Error("a lagging view takes an instance for gone")
	}
}
