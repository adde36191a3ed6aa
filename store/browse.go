package store

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Reading the conversations and the opt-out list page by page, for the
// operator's console. Both are kept by number, so pages go in number
// order.

// NumberConversation is the conversation with one number.
type NumberConversation struct {
	Number string
	Conversation
}

// OptOutEntry is one number on the opt-out list.
type OptOutEntry struct {
	Number string
	Since  time.Time
}

// Conversations returns at most limit conversations (DefaultListLimit
// when limit <= 0) whose number sorts after after, in number order, with
// prefix (e.g. "+4420") when it is not empty. next is the number to pass
// as after for the following page, "" at the end.
func (db *DB) Conversations(prefix, after string, limit int) (out []NumberConversation, next string, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		out = nil
		next, err = browse(tx.Bucket(bktConv), prefix, after, limit, func(k, v []byte) error {
			c, err := decodeConv(v)
			if err != nil {
				return fmt.Errorf("conversation %s: %w", k, err)
			}
			out = append(out, NumberConversation{Number: string(k), Conversation: c})
			return nil
		})
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("store: conversations: %w", err)
	}
	return out, next, nil
}

// OptOuts returns the opt-out list as Conversations returns conversations.
func (db *DB) OptOuts(prefix, after string, limit int) (out []OptOutEntry, next string, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		out = nil
		next, err = browse(tx.Bucket(bktOptOut), prefix, after, limit, func(k, v []byte) error {
			if len(v) != timeKeyLen {
				return fmt.Errorf("%w: opt-out record %x", ErrCorrupt, v)
			}
			out = append(out, OptOutEntry{Number: string(k), Since: timeFromKey(v)})
			return nil
		})
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("store: opt-outs: %w", err)
	}
	return out, next, nil
}

// browse calls fn for the keys of b with prefix after after, at most limit
// of them, and returns the last key read when more may follow.
func browse(b *bolt.Bucket, prefix, after string, limit int, fn func(k, v []byte) error) (string, error) {
	if limit <= 0 {
		limit = DefaultListLimit
	}
	limit = min(limit, MaxListLimit)
	c := b.Cursor()
	start := prefix
	if after >= start {
		start = after
	}
	k, v := c.Seek([]byte(start))
	if k != nil && string(k) == after {
		k, v = c.Next()
	}
	n := 0
	last := ""
	for ; k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		if n == limit {
			return last, nil
		}
		if err := fn(k, v); err != nil {
			return "", err
		}
		n++
		last = string(k)
	}
	return "", nil
}

func hasPrefix(k []byte, prefix string) bool {
	return len(k) >= len(prefix) && string(k[:len(prefix)]) == prefix
}
