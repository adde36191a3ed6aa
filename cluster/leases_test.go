package cluster

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/smsbridge/smsbridge/transport/smpp"
)

const leaseTTL = time.Second

// gateway is one instance's presence and leases on its own connection,
// with a bind loop per slot as the SMPP transport runs them.
type gateway struct {
	name     string
	nc       *nats.Conn
	presence *Presence
	leases   *BindLeases
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	mu   sync.Mutex
	held map[int]bool
}

func startGateway(t *testing.T, url, name, transport string, binds int) *gateway {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	js := jetStream(t, nc)
	ctx, cancel := context.WithCancel(context.Background())
	opt := Options{Prefix: "t", Instance: name, Replicas: 1, TTL: leaseTTL, Logger: quiet()}
	p, err := NewPresence(ctx, js, opt)
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewBindLeases(ctx, js, p, opt)
	if err != nil {
		t.Fatal(err)
	}
	g := &gateway{name: name, nc: nc, presence: p, leases: l, cancel: cancel, held: map[int]bool{}}
	g.wg.Go(func() { p.Run(ctx) })
	g.wg.Go(func() { l.Run(ctx) })
	for slot := range binds {
		g.wg.Go(func() {
			for ctx.Err() == nil {
				lost, err := l.Acquire(ctx, transport, slot, binds)
				if err != nil {
					return
				}
				g.set(slot, true)
				select {
				case <-lost:
				case <-ctx.Done():
				}
				g.set(slot, false)
				l.Release(transport, slot)
			}
		})
	}
	t.Cleanup(g.stop)
	return g
}

func (g *gateway) set(slot int, on bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.held[slot] = on
}

func (g *gateway) holding() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []int
	for slot, on := range g.held {
		if on {
			out = append(out, slot)
		}
	}
	return out
}

// stop ends the gateway cleanly: its leases are given back.
func (g *gateway) stop() {
	g.cancel()
	g.wg.Wait()
	g.nc.Close()
}

// kill ends it without a word: the connection goes first, so nothing is
// removed from the buckets.
func (g *gateway) kill() {
	g.nc.Close()
	g.cancel()
	g.wg.Wait()
}

// watchHolders checks, every 20 ms until stop is closed, that no slot is
// held by two gateways and no more than binds are held; it reports the
// first violation.
func watchHolders(gws []*gateway, binds int, stop <-chan struct{}) <-chan error {
	out := make(chan error, 1)
	go func() {
		defer close(out)
		for {
			owner := map[int]string{}
			for _, g := range gws {
				for _, slot := range g.holding() {
					if o, dup := owner[slot]; dup {
						out <- fmt.Errorf("slot %d held by %s and %s", slot, o, g.name)
						return
					}
					owner[slot] = g.name
				}
			}
			if len(owner) > binds {
				out <- fmt.Errorf("%d slots held, %d allowed: %v", len(owner), binds, owner)
				return
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return out
}

// eventually polls cond every 50 ms for up to d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func total(gws ...*gateway) int {
	n := 0
	for _, g := range gws {
		n += len(g.holding())
	}
	return n
}

// TestBindLeasesTakeover: two slots, three gateways: never more than two
// held, never one slot twice; a gateway killed without cleanup loses its
// slot to the idle one within the TTL and a renewal or two; the holders
// the bucket lists are the gateways holding.
func TestBindLeasesTakeover(t *testing.T) {
	t.Parallel()
	url := singleServer(t, &server.Options{JetStream: true}).ClientURL()
	gws := []*gateway{
		startGateway(t, url, "gw1", "smsc", 2),
		startGateway(t, url, "gw2", "smsc", 2),
		startGateway(t, url, "gw3", "smsc", 2),
	}
	stop := make(chan struct{})
	violations := watchHolders(gws, 2, stop)
	// The first to start may hold both until it sees the others.
	eventually(t, 5*leaseTTL, "two slots held, one each", func() bool {
		for _, g := range gws {
			if len(g.holding()) > 1 {
				return false
			}
		}
		return total(gws...) == 2
	})

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	holders, err := gws[0].leases.Holders(ctx, "smsc")
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gws {
		for _, slot := range g.holding() {
			if holders[slot] != g.name {
				t.Errorf("Holders = %v; %s holds slot %d", holders, g.name, slot)
			}
		}
	}

	var victim, idle *gateway
	for _, g := range gws {
		switch len(g.holding()) {
		case 1:
			victim = g
		case 0:
			idle = g
		}
	}
	slot := victim.holding()[0]
	killed := time.Now()
	victim.kill()
	eventually(t, 3*leaseTTL, "the idle gateway takes the killed one's slot", func() bool {
		h := idle.holding()
		return len(h) == 1 && h[0] == slot
	})
	if d := time.Since(killed); d < leaseTTL {
		t.Errorf("the slot was taken %s after its holder stopped, before the TTL", d)
	}
	eventually(t, 2*leaseTTL, "the killed gateway drops off the live list", func() bool {
		return !slices.Contains(idle.presence.Live(), victim.name) && len(idle.presence.Live()) == 2
	})
	close(stop)
	if err := <-violations; err != nil {
		t.Error(err)
	}
}

// TestBindLeasesFairShare: alone, a gateway holds all three slots; when a
// second joins, the first hands slots back until they hold two and one;
// when the second stops cleanly, it leaves the live list at once and the
// first takes its slot back well within the TTL.
func TestBindLeasesFairShare(t *testing.T) {
	t.Parallel()
	url := singleServer(t, &server.Options{JetStream: true}).ClientURL()
	a := startGateway(t, url, "gwa", "smsc", 3)
	eventually(t, 5*leaseTTL, "the lone gateway holds all three", func() bool { return len(a.holding()) == 3 })
	b := startGateway(t, url, "gwb", "smsc", 3)
	stop := make(chan struct{})
	violations := watchHolders([]*gateway{a, b}, 3, stop)
	eventually(t, 5*leaseTTL, "two and one", func() bool {
		return len(a.holding())+len(b.holding()) == 3 && len(b.holding()) >= 1 && len(a.holding()) >= 1
	})
	if live := a.presence.Live(); !slices.Equal(live, []string{"gwa", "gwb"}) {
		t.Errorf("live gateways = %v", live)
	}
	stopped := time.Now()
	b.stop()
	eventually(t, leaseTTL/2, "a clean stop leaves the live list", func() bool { return slices.Equal(a.presence.Live(), []string{"gwa"}) })
	eventually(t, 3*leaseTTL, "the first holds all three again", func() bool { return len(a.holding()) == 3 })
	if d := time.Since(stopped); d > leaseTTL {
		t.Errorf("the slot came back %s after a clean stop; a clean stop gives it back at once", d)
	}
	close(stop)
	if err := <-violations; err != nil {
		t.Error(err)
	}
}

var _ smpp.BindLeases = (*BindLeases)(nil)
