package cluster

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestClusterQuorum: three embedded nodes form a cluster and elect a meta
// leader; a bucket with three copies takes a put; with two nodes stopped
// it takes none (no quorum), and says so within the timeout.
func TestClusterQuorum(t *testing.T) {
	t.Parallel()
	nodes := startNodes(t, clusterConfigs(t, 3))
	js := jetStream(t, nodes[0].Conn())
	waitJS(t, js)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	kv := createBucket(t, js, "quorum", 3)
	if _, err := kv.PutString(ctx, "k", "v1"); err != nil {
		t.Fatalf("put with three nodes: %v", err)
	}

	st, err := nodes[0].State()
	if err != nil {
		t.Fatal(err)
	}
	names := []string{st.Leader}
	for _, p := range st.Peers {
		names = append(names, p.Name)
	}
	slices.Sort(names)
	if st.Cluster != "test" || !slices.Equal(names, []string{"n1", "n2", "n3"}) {
		t.Errorf("meta state = %+v", st)
	}
	ss, err := StreamState(ctx, js, "KV_quorum")
	if err != nil || ss.Leader == "" || len(ss.Peers) != 2 {
		t.Errorf("stream state = %+v, %v", ss, err)
	}

	stopNode(t, nodes[1])
	stopNode(t, nodes[2])
	put, cancelPut := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancelPut()
	start := time.Now()
	if _, err := kv.PutString(put, "k", "v2"); err == nil {
		t.Fatal("a put with one node of three was acknowledged")
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("the failed put took %s", d)
	}
}
