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
		return &sharedCounters{st: shared, instance: st.instance}, nil
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

// sharedCounters keeps the policy's daily counters in a shared store.
// The policy starts from the sum of every instance's counts of the day;
// each instance saves only its own charges (what it counts less what the
// others had at the start), so no instance overwrites another's.
type sharedCounters struct {
	st       sharedCountersBlob
	instance string

	mu     sync.Mutex
	others map[string]policy.DayCount // the other instances' counts at Load
}

func (c *sharedCounters) Load() (map[string]policy.DayCount, error) {
	all, err := c.st.PolicyCountersAll()
	if err != nil {
		return nil, err
	}
	counts := map[string]policy.DayCount{}
	others := map[string]policy.DayCount{}
	for inst, data := range all {
		var one map[string]policy.DayCount
		if err := json.Unmarshal(data, &one); err != nil {
			return nil, fmt.Errorf("policy counters of instance %s: %w", inst, err)
		}
		addDayCounts(counts, one)
		if inst != c.instance {
			addDayCounts(others, one)
		}
	}
	c.mu.Lock()
	c.others = others
	c.mu.Unlock()
	return counts, nil
}

// addDayCounts adds counts to sum: the counts of one key's latest day
// add up, older days' are gone.
func addDayCounts(sum, counts map[string]policy.DayCount) {
	for k, v := range counts {
		cur, ok := sum[k]
		switch {
		case !ok || cur.Day < v.Day:
			sum[k] = v
		case cur.Day == v.Day:
			sum[k] = policy.DayCount{Day: v.Day, N: cur.N + v.N}
		}
	}
}

func (c *sharedCounters) Save(counts map[string]policy.DayCount) error {
	c.mu.Lock()
	own := make(map[string]policy.DayCount, len(counts))
	for k, v := range counts {
		if o, ok := c.others[k]; ok && o.Day == v.Day {
			v.N -= o.N
		}
		if v.N > 0 {
			own[k] = v
		}
	}
	c.mu.Unlock()
	return storeCounters{c.st}.Save(own)
}
