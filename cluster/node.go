// Package cluster runs or reaches the NATS JetStream cluster that several
// gateways share: an embedded node per gateway ([cluster]) or a connection
// to an existing cluster ([nats]); the gateways' presence; and the leases
// that hold an SMSC account's binds to its limit across all of them.
package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/smsbridge/smsbridge/configs"
)

// startTimeout bounds how long a node may take to listen when ctx has no
// deadline.
const startTimeout = 30 * time.Second

// Node is an embedded NATS server with JetStream, one of the cluster's
// nodes, and the gateway's in-process connection to it.
type Node struct {
	srv *server.Server
	nc  *nats.Conn
	log *slog.Logger
}

// StartNode starts this gateway's node: server name cfg.Instance,
// JetStream in cfg.StoreDir with every write synced to disk before it is
// acknowledged, routes on cfg.Listen to cfg.Peers (TLS when a certificate
// is set, mutual when a CA is), clients on cfg.ClientListen. It returns
// once the node accepts connections; the JetStream meta leader may come
// later (WaitJetStream).
func StartNode(ctx context.Context, cfg *configs.Cluster, log *slog.Logger) (*Node, error) {
	opts, err := serverOptions(cfg)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.StoreDir, 0o750); err != nil {
		return nil, fmt.Errorf("cluster: store dir: %w", err)
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("cluster: node %s: %w", cfg.Instance, err)
	}
	log = log.With("component", "nats", "instance", cfg.Instance)
	srv.SetLoggerV2(serverLogger{log}, false, false, false)
	srv.Start()
	wait := startTimeout
	if d, ok := ctx.Deadline(); ok {
		wait = time.Until(d)
	}
	if !srv.ReadyForConnections(wait) {
		srv.Shutdown()
		return nil, fmt.Errorf("cluster: node %s not listening within %s (its log says why)", cfg.Instance, wait)
	}
	if !srv.JetStreamEnabled() {
		srv.Shutdown()
		return nil, fmt.Errorf("cluster: node %s runs without JetStream (its log says why)", cfg.Instance)
	}
	nc, err := nats.Connect("", nats.InProcessServer(srv), nats.Name("smsbridge "+cfg.Instance),
		nats.MaxReconnects(-1))
	if err != nil {
		srv.Shutdown()
		return nil, fmt.Errorf("cluster: in-process connection: %w", err)
	}
	log.Info("cluster node started", "cluster", cfg.Name, "routes", srv.ClusterAddr().String(),
		"clients", srv.Addr().String(), "peers", len(opts.Routes), "store_dir", cfg.StoreDir)
	return &Node{srv: srv, nc: nc, log: log}, nil
}

func serverOptions(cfg *configs.Cluster) (*server.Options, error) {
	host, port, err := splitHostPort(cfg.ClientListen)
	if err != nil {
		return nil, fmt.Errorf("cluster: client_listen: %w", err)
	}
	rhost, rport, err := splitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("cluster: listen: %w", err)
	}
	opts := &server.Options{
		ServerName: cfg.Instance,
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   cfg.StoreDir,
		SyncAlways: true,
		NoSigs:     true,
		Cluster:    server.ClusterOpts{Name: cfg.Name, Host: rhost, Port: rport},
		Routes:     cfg.RouteURLs(),
	}
	if cfg.TLSCert != "" {
		tc, err := routeTLS(cfg.TLSCert, cfg.TLSKey, cfg.TLSCA)
		if err != nil {
			return nil, err
		}
		opts.Cluster.TLSConfig = tc
		opts.Cluster.TLSTimeout = 2
	}
	return opts, nil
}

// splitHostPort parses host:port; port 0 is any free port.
func splitHostPort(hp string) (string, int, error) {
	host, p, err := net.SplitHostPort(hp)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, err
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	return host, port, nil
}

// routeTLS is the TLS of routes: this node's certificate, both ways; with
// a CA, peers must present a certificate it signed and are checked by it.
func routeTLS(certFile, keyFile, caFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("cluster: route certificate: %w", err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pool, err := loadPool(caFile)
		if err != nil {
			return nil, err
		}
		tc.RootCAs, tc.ClientCAs = pool, pool
		tc.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

func loadPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("cluster: CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("cluster: CA %s: no PEM certificate in it", file)
	}
	return pool, nil
}

// Conn is the gateway's in-process connection to its node.
func (n *Node) Conn() *nats.Conn { return n.nc }

// ClientURL is where other clients reach the node (nats://host:port).
func (n *Node) ClientURL() string { return n.srv.ClientURL() }

// RouteAddr is the address the node's routes listen on.
func (n *Node) RouteAddr() string { return n.srv.ClusterAddr().String() }

// Shutdown closes the in-process connection and stops the node, waiting
// for it to finish until ctx ends.
func (n *Node) Shutdown(ctx context.Context) error {
	n.nc.Close()
	done := make(chan struct{})
	go func() {
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
		close(done)
	}()
	select {
	case <-done:
		n.log.Info("cluster node stopped")
		return nil
	case <-ctx.Done():
		return fmt.Errorf("cluster: stopping the node: %w", ctx.Err())
	}
}

// serverLogger writes the server's log lines through slog.
type serverLogger struct{ log *slog.Logger }

func (l serverLogger) Noticef(format string, v ...any) { l.log.Info(fmt.Sprintf(format, v...)) }
func (l serverLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l serverLogger) Fatalf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l serverLogger) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l serverLogger) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l serverLogger) Tracef(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
