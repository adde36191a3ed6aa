package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
)

// State is the cluster as `serve` logs it and the API shows it.
type State struct {
	Cluster string `json:"cluster"`
	// Leader is the server name of the leader: of the JetStream meta group
	// (a Node's State), or of one replicated stream (StreamState).
	Leader string `json:"leader"`
	Peers  []Peer `json:"peers"` // the members but the leader
}

// Peer is one other server of a raft group.
type Peer struct {
	Name    string        `json:"name"`
	Current bool          `json:"current"` // seen recently and caught up
	Offline bool          `json:"offline,omitempty"`
	Active  time.Duration `json:"active"` // since it was last heard from
	Lag     uint64        `json:"lag,omitempty"`
}

// ErrNoLeader is returned while the cluster has no leader (no quorum).
var ErrNoLeader = errors.New("cluster: no leader")

// State is the JetStream meta group as this node knows it. Only the
// leader follows the others' progress: on another node, their Current and
// Active are not known (false, 0), and its own entry says whether it is
// caught up.
func (n *Node) State() (State, error) {
	jsz, err := n.srv.Jsz(&server.JSzOptions{})
	if err != nil {
		return State{}, fmt.Errorf("cluster: jsz: %w", err)
	}
	if jsz.Meta == nil {
		return State{}, errors.New("cluster: JetStream is not clustered")
	}
	st := State{Cluster: jsz.Meta.Name, Leader: jsz.Meta.Leader}
	if self := n.srv.Name(); self != st.Leader {
		st.Peers = append(st.Peers, Peer{Name: self, Current: n.srv.JetStreamIsCurrent()})
	}
	for _, p := range jsz.Meta.Replicas {
		if p.Name != st.Leader {
			st.Peers = append(st.Peers, Peer{Name: p.Name, Current: p.Current, Offline: p.Offline, Active: p.Active, Lag: p.Lag})
		}
	}
	if st.Leader == "" {
		return st, ErrNoLeader
	}
	return st, nil
}

// StreamState is the raft group of a replicated stream (a KV bucket's is
// "KV_" and its name), as any user allowed to read its info sees it: the
// way to see the cluster through a plain [nats] connection.
func StreamState(ctx context.Context, js jetstream.JetStream, stream string) (State, error) {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return State{}, fmt.Errorf("cluster: stream %s: %w", stream, err)
	}
	info := s.CachedInfo()
	if info.Cluster == nil {
		return State{}, fmt.Errorf("cluster: stream %s: no cluster information", stream)
	}
	st := State{Cluster: info.Cluster.Name, Leader: info.Cluster.Leader}
	for _, p := range info.Cluster.Replicas {
		st.Peers = append(st.Peers, Peer{Name: p.Name, Current: p.Current, Offline: p.Offline, Active: p.Active, Lag: p.Lag})
	}
	if st.Leader == "" {
		return st, ErrNoLeader
	}
	return st, nil
}
