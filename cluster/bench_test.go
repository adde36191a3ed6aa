package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// BenchmarkSyncAlways measures one acknowledged KV put of 1 KB, one after
// the other, on three nodes (R3) and on one (R1), with every write synced
// to disk before its acknowledgement (as StartNode runs) and with the
// server's default (a sync every two minutes).
func BenchmarkSyncAlways(b *testing.B) {
	for _, nodes := range []int{1, 3} {
		for _, sync := range []bool{true, false} {
			b.Run(fmt.Sprintf("R%d/sync_always=%v", nodes, sync), func(b *testing.B) {
				kv := benchBucket(b, nodes, sync)
				value := make([]byte, 1024)
				ctx := context.Background()
				b.ResetTimer()
				for i := range b.N {
					if _, err := kv.Put(ctx, fmt.Sprintf("k%d", i%100), value); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func benchBucket(b *testing.B, nodes int, sync bool) jetstream.KeyValue {
	cfgs := clusterConfigs(b, nodes)
	servers := make([]*server.Server, nodes)
	errs := make(chan error, nodes)
	for i, c := range cfgs {
		go func() {
			opts, err := serverOptions(c)
			if err != nil {
				errs <- err
				return
			}
			if nodes == 1 {
				opts.Cluster, opts.Routes = server.ClusterOpts{}, nil
			}
			opts.SyncAlways = sync
			s, err := server.NewServer(opts)
			if err != nil {
				errs <- err
				return
			}
			s.Start()
			servers[i] = s
			if !s.ReadyForConnections(10 * time.Second) {
				errs <- fmt.Errorf("%s not ready", c.Instance)
				return
			}
			errs <- nil
		}()
	}
	for range nodes {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	b.Cleanup(func() {
		for _, s := range servers {
			s.Shutdown()
			s.WaitForShutdown()
		}
	})
	nc, err := nats.Connect("", nats.InProcessServer(servers[0]))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := WaitJetStream(ctx, js); err != nil {
		b.Fatal(err)
	}
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "bench", Replicas: nodes, Storage: jetstream.FileStorage})
	if err != nil {
		b.Fatal(err)
	}
	return kv
}
