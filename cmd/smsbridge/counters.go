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
