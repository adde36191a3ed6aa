package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/policy"
)

// countersBlob is what the policy's counters need of the store (*store.DB):
// one value, replaced whole.
type countersBlob interface {
	PolicyCounters() ([]byte, error)
	SetPolicyCounters(ctx context.Context, data []byte) error
}

// storeCounters keeps the sender policy's daily counters in the queue
// file (policy.CounterStore).
type storeCounters struct{ st countersBlob }

func (c storeCounters) Load() (map[string]policy.DayCount, error) {
	data, err := c.st.PolicyCounters()
	if err != nil || data == nil {
		return map[string]policy.DayCount{}, err
	}
	var counts map[string]policy.DayCount
	if err := json.Unmarshal(data, &counts); err != nil {
		return nil, fmt.Errorf("policy counters in the store: %w", err)
	}
	return counts, nil
}

func (c storeCounters) Save(counts map[string]policy.DayCount) error {
	data, err := json.Marshal(counts)
	if err != nil {
		return fmt.Errorf("encoding counters: %w", err)
	}
	return c.st.SetPolicyCounters(context.Background(), data)
}

// policyCounters is where the sender policy keeps its daily counters: in
// the store, shared by the instances of a cluster; for bbolt, after the
// counters of earlier versions are moved in.
func policyCounters(st *openedStore, cfg *configs.Config, log *slog.Logger) (policy.CounterStore, error) {
	if shared, ok := st.gatewayStore.(sharedCountersBlob); ok {
		return &sharedCounters{st: shared, instance: st.instance, log: log}, nil
	}
	counters := storeCounters{st}
	if err := migrateCounters(counters, cfg.Store.Path, log); err != nil {
		return nil, fmt.Errorf("moving the daily counters into the store: %w", err)
	}
	return counters, nil
}

// migrateCounters moves the counters that earlier versions kept in
// limits.json beside the queue file (queuePath) into the store, once: the
// file's newer counts win, and the file is renamed so that it is not read
// again.
func migrateCounters(c storeCounters, queuePath string, log *slog.Logger) error {
	file := filepath.Join(filepath.Dir(queuePath), "limits.json")
	if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	old, err := policy.FileStore{Path: file}.Load()
	if err != nil {
		return err
	}
	have, err := c.Load()
	if err != nil {
		return err
	}
	for k, v := range old {
		if cur, ok := have[k]; !ok || cur.Day < v.Day {
			have[k] = v
		}
	}
	if err := c.Save(have); err != nil {
		return err
	}
	if err := os.Rename(file, file+".migrated"); err != nil {
		return fmt.Errorf("counters moved into the store, but %w", err)
	}
	log.Info("daily counters moved from their file into the queue file", "file", file, "keys", len(old))
	return nil
}

// sharedCountersBlob is what a store shared by several gateways keeps
// the counters in: each instance's own blob (PolicyCounters and
// SetPolicyCounters are this instance's), and all of them.
type sharedCountersBlob interface {
	countersBlob
	PolicyCountersAll() (map[string][]byte, error)
}

// sharedCounters keeps the policy's daily counters in a store shared
// by the gateways of a cluster (policy.SharedCounterStore): each saves
// only its own counts, so none overwrites another's, and the policy adds
// the others' counts, read again at most every sharedCountersFresh, where
// it checks a limit.
type sharedCounters struct {
	st       sharedCountersBlob
	instance string
	log      *slog.Logger

	mu     sync.Mutex
	others map[string]policy.DayCount
	read   time.Time // when others was read
}

// sharedCountersFresh bounds how old the other gateways' counts may be
// when a limit is checked; reading them decodes every gateway's counters.
const sharedCountersFresh = time.Second

func (c *sharedCounters) Load() (map[string]policy.DayCount, error) {
	return storeCounters{c.st}.Load()
}

func (c *sharedCounters) Save(counts map[string]policy.DayCount) error {
	return storeCounters{c.st}.Save(counts)
}

// Others is the sum of the other gateways' counts of their latest day. A
// failed read keeps the counts read before, and is logged.
func (c *sharedCounters) Others() map[string]policy.DayCount {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.read) < sharedCountersFresh {
		return c.others
	}
	others, err := c.readOthers()
	if err != nil {
		c.log.Warn("other gateways' daily counters not read; limits use those read before", "err", err)
		return c.others
	}
	c.others, c.read = others, time.Now()
	return others
}

func (c *sharedCounters) readOthers() (map[string]policy.DayCount, error) {
	all, err := c.st.PolicyCountersAll()
	if err != nil {
		return nil, err
	}
	sum := map[string]policy.DayCount{}
	for inst, data := range all {
		if inst == c.instance {
			continue
		}
		var counts map[string]policy.DayCount
		if err := json.Unmarshal(data, &counts); err != nil {
			return nil, fmt.Errorf("policy counters of instance %s: %w", inst, err)
		}
		for k, v := range counts {
			switch cur, ok := sum[k]; {
			case !ok || cur.Day < v.Day:
				sum[k] = v
			case cur.Day == v.Day:
				sum[k] = policy.DayCount{Day: v.Day, N: cur.N + v.N}
			}
		}
	}
	return sum, nil
}
