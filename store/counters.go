package store

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// keyDaily holds the sender policy's daily counters in bktPolicy, encoded
// by the policy: they live and are backed up with the queue.
var keyDaily = []byte("daily")

// PolicyCounters returns the sender policy's counters as last saved; nil
// when none were.
func (db *DB) PolicyCounters() ([]byte, error) {
	var out []byte
	err := db.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bktPolicy).Get(keyDaily); v != nil {
			out = append([]byte(nil), v...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: policy counters: %w", err)
	}
	return out, nil
}

// SetPolicyCounters replaces the sender policy's counters.
func (db *DB) SetPolicyCounters(ctx context.Context, data []byte) error {
	v := append([]byte(nil), data...) // bbolt keeps it until the commit
	err := db.do(ctx, "policy-counters", len(v), func(w *wtx) error { return w.put(bktPolicy, keyDaily, v) })
	if err != nil {
		return fmt.Errorf("store: policy counters: %w", err)
	}
	return nil
}
