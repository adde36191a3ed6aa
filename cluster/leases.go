package cluster

import (
	"context"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// BindLeases share an SMSC account's binds among the gateways: for an
// account (a transport's name) allowed n binds, the bucket <prefix>_BINDS
// has keys <b32 name>.0 to .n-1, each the lease on one bind. A gateway
// takes a free slot with Create and renews it with Update on its revision
// every third of the TTL; a revision that moved on means another gateway
// has the slot, and its bind must close. A slot whose revision this
// gateway has seen unchanged for the TTL belongs to a gateway that stopped,
// and is taken. Each gateway holds at most its fair share, n divided by
// the live gateways rounded up, so the binds spread.
type BindLeases struct {
	kv   jetstream.KeyValue
	opt  Options
	log  *slog.Logger
	live func() int

	mu      sync.Mutex
	held    map[string]*lease   // key → lease held by this gateway
	pending map[string]string   // key → transport, being taken
	seen    map[string]sighting // key → another gateway's revision, when first seen here
	binds   map[string]int      // transport → its account's binds
}

type lease struct {
	transport string
	slot      int
	rev       uint64
	renewed   time.Time
	lost      chan struct{}
	// returning: handed back over the fair share; lost is closed, and the
	// slot stays this gateway's until its bind is closed and Release
	// called, so the account never has one bind too many.
	returning bool
}

// drop closes lost unless it is closed already.
func (l *lease) drop() {
	if !l.returning {
		close(l.lost)
	}
}

type sighting struct {
	rev uint64
	at  time.Time
}

// NewBindLeases opens the bucket. presence counts the live gateways for
// the fair share; Run must run for leases to be renewed.
func NewBindLeases(ctx context.Context, js jetstream.JetStream, presence *Presence, opt Options) (*BindLeases, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	kv, err := bucket(ctx, js, opt, "BINDS")
	if err != nil {
		return nil, err
	}
	return &BindLeases{
		kv: kv, opt: opt, log: opt.Logger.With("component", "bind_leases", "instance", opt.Instance),
		live:    func() int { return len(presence.Live()) },
		held:    map[string]*lease{},
		pending: map[string]string{},
		seen:    map[string]sighting{},
		binds:   map[string]int{},
	}, nil
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func slotKey(transport string, slot int) string {
	return b32.EncodeToString([]byte(transport)) + "." + strconv.Itoa(slot)
}

// Acquire waits until this gateway holds bind slot (0 to binds-1) of the
// account transport, trying every third of the TTL, or until ctx ends.
// The channel is closed when the lease is lost: its bind must close then.
func (b *BindLeases) Acquire(ctx context.Context, transport string, slot, binds int) (<-chan struct{}, error) {
	if slot < 0 || slot >= binds {
		return nil, fmt.Errorf("cluster: bind slot %d of %d", slot, binds)
	}
	key := slotKey(transport, slot)
	tick := time.NewTicker(b.opt.TTL / 3)
	defer tick.Stop()
	for {
		if l, err := b.tryTake(ctx, transport, slot, binds, key); err != nil {
			return nil, err
		} else if l != nil {
			return l.lost, nil
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// share is how many slots of transport one gateway may hold.
func (b *BindLeases) shareLocked(transport string) int {
	n := b.binds[transport]
	live := max(b.live(), 1)
	return (n + live - 1) / live
}

// heldLocked counts the slots of transport held, returning or being
// taken; active leaves out the returning ones.
func (b *BindLeases) heldLocked(transport string, active bool) int {
	n := 0
	for _, l := range b.held {
		if l.transport == transport && !(active && l.returning) {
			n++
		}
	}
	for _, t := range b.pending {
		if t == transport {
			n++
		}
	}
	return n
}

// tryTake takes the slot if this gateway's share allows and the slot is
// free, its own from before a restart, or left by a gateway that stopped.
// A nil lease and nil error: not now.
func (b *BindLeases) tryTake(ctx context.Context, transport string, slot, binds int, key string) (*lease, error) {
	b.mu.Lock()
	b.binds[transport] = binds
	if _, dup := b.held[key]; dup || b.pending[key] != "" {
		b.mu.Unlock()
		return nil, fmt.Errorf("cluster: bind slot %d of %s is being held already", slot, transport)
	}
	if b.heldLocked(transport, false) >= b.shareLocked(transport) {
		b.mu.Unlock()
		return nil, nil
	}
	b.pending[key] = transport
	b.mu.Unlock()

	rev, err := b.take(ctx, key)

	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.pending, key)
	if err != nil || rev == 0 {
		if err != nil && ctx.Err() == nil {
			b.log.Warn("cluster: bind lease not taken", "transport", transport, "bind", slot, "err", err)
		}
		return nil, ctx.Err()
	}
	l := &lease{transport: transport, slot: slot, rev: rev, renewed: time.Now(), lost: make(chan struct{})}
	b.held[key] = l
	delete(b.seen, key)
	b.log.Info("cluster: bind lease taken", "transport", transport, "bind", slot)
	return l, nil
}

// take writes this gateway into the slot; revision 0 means the slot is
// another's.
func (b *BindLeases) take(ctx context.Context, key string) (uint64, error) {
	me := []byte(b.opt.Instance)
	e, err := b.kv.Get(ctx, key)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted):
		return b.create(ctx, key)
	case err != nil:
		return 0, err
	case string(e.Value()) == b.opt.Instance:
		// This gateway's from before a restart: the instance name is stable.
		return b.kv.Update(ctx, key, me, e.Revision())
	}
	b.mu.Lock()
	s, ok := b.seen[key]
	if !ok || s.rev != e.Revision() {
		b.seen[key] = sighting{rev: e.Revision(), at: time.Now()}
	}
	stale := ok && s.rev == e.Revision() && time.Since(s.at) >= b.opt.TTL
	b.mu.Unlock()
	if !stale {
		return 0, nil
	}
	b.log.Info("cluster: taking a bind lease its holder stopped renewing", "key", key, "holder", string(e.Value()), "unchanged_for", time.Since(s.at).Round(time.Millisecond))
	if err := b.kv.Delete(ctx, key, jetstream.LastRevision(e.Revision())); err != nil {
		if isConflict(err) {
			return 0, nil
		}
		return 0, err
	}
	return b.create(ctx, key)
}

func (b *BindLeases) create(ctx context.Context, key string) (uint64, error) {
	rev, err := b.kv.Create(ctx, key, []byte(b.opt.Instance))
	if isConflict(err) {
		return 0, nil
	}
	return rev, err
}

// isConflict tells a write that lost a race: the key exists, or its
// revision moved on (codes differ between R1 and replicated buckets).
func isConflict(err error) bool {
	return errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch)
}

// Release gives a held slot back at once, for another gateway to take;
// the bind of a slot lost or handed back calls it once closed.
func (b *BindLeases) Release(transport string, slot int) {
	key := slotKey(transport, slot)
	b.mu.Lock()
	l := b.held[key]
	delete(b.held, key)
	b.mu.Unlock()
	if l == nil {
		return
	}
	l.drop()
	b.remove(key, l, "released")
}

// remove deletes a slot this gateway no longer holds, if it is still this
// gateway's revision.
func (b *BindLeases) remove(key string, l *lease, why string) {
	ctx, cancel := context.WithTimeout(context.Background(), b.opt.TTL/3)
	defer cancel()
	if err := b.kv.Delete(ctx, key, jetstream.LastRevision(l.rev)); err != nil && !isConflict(err) {
		b.log.Warn("cluster: bind lease not removed; it lapses after the TTL", "transport", l.transport, "bind", l.slot, "err", err)
		return
	}
	b.log.Info("cluster: bind lease "+why, "transport", l.transport, "bind", l.slot)
}

// Run renews the held leases every third of the TTL and gives back the
// slots over this gateway's share, until ctx ends; then it releases all.
func (b *BindLeases) Run(ctx context.Context) error {
	tick := time.NewTicker(b.opt.TTL / 3)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			b.renew(ctx)
			b.rebalance()
		case <-ctx.Done():
			b.mu.Lock()
			held := b.held
			b.held = map[string]*lease{}
			b.mu.Unlock()
			for key, l := range held {
				l.drop()
				b.remove(key, l, "released at stop")
			}
			return nil
		}
	}
}

// renew updates each held slot. A revision that moved on loses the slot
// at once; a slot not renewed for two thirds of the TTL is given up
// before the others may take it (after a whole TTL).
func (b *BindLeases) renew(ctx context.Context) {
	b.mu.Lock()
	held := make(map[string]*lease, len(b.held))
	for k, l := range b.held {
		held[k] = l
	}
	b.mu.Unlock()
	for key, l := range held {
		rev, err := b.kv.Update(ctx, key, []byte(b.opt.Instance), l.rev)
		b.mu.Lock()
		if b.held[key] != l { // released meanwhile
			b.mu.Unlock()
			continue
		}
		switch {
		case err == nil:
			l.rev, l.renewed = rev, time.Now()
			b.mu.Unlock()
			continue
		case isConflict(err) || errors.Is(err, jetstream.ErrKeyNotFound):
			b.log.Warn("cluster: bind lease lost to another gateway", "transport", l.transport, "bind", l.slot, "err", err)
		case time.Since(l.renewed) >= 2*b.opt.TTL/3:
			b.log.Warn("cluster: bind lease given up: not renewed in time", "transport", l.transport, "bind", l.slot, "err", err)
		default:
			b.log.Warn("cluster: bind lease not renewed; trying again", "transport", l.transport, "bind", l.slot, "err", err)
			b.mu.Unlock()
			continue
		}
		delete(b.held, key)
		l.drop()
		b.mu.Unlock()
	}
}

// rebalance hands back the highest slots of each account over this
// gateway's share, so that a gateway that joins gets binds: their binds
// are told to close, and Release frees each slot once its bind is closed.
func (b *BindLeases) rebalance() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for transport, binds := range b.binds {
		over := b.heldLocked(transport, true) - b.shareLocked(transport)
		for slot := binds - 1; slot >= 0 && over > 0; slot-- {
			if l := b.held[slotKey(transport, slot)]; l != nil && !l.returning {
				l.drop()
				l.returning = true
				over--
				b.log.Info("cluster: bind lease handed back over the fair share", "transport", transport, "bind", slot)
			}
		}
	}
}

// Holders lists who holds the slots of transport, slot → instance, as the
// bucket says (a stopped gateway's slot stays until taken or lapsed).
func (b *BindLeases) Holders(ctx context.Context, transport string) (map[int]string, error) {
	prefix := b32.EncodeToString([]byte(transport)) + "."
	lister, err := b.kv.ListKeysFiltered(ctx, prefix+"*")
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return map[int]string{}, nil
		}
		return nil, fmt.Errorf("cluster: bind holders of %s: %w", transport, err)
	}
	defer lister.Stop()
	out := map[int]string{}
	for key := range lister.Keys() {
		slot, err := strconv.Atoi(strings.TrimPrefix(key, prefix))
		if err != nil {
			continue
		}
		e, err := b.kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("cluster: bind holders of %s: %w", transport, err)
		}
		out[slot] = string(e.Value())
	}
	return out, nil
}
