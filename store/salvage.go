package store

import (
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Check reads the whole queue file at path without changing it: its pages
// as Open walks them, then bbolt's consistency check. A damaged file is a
// *DamagedError; a file another process holds fails after timeout.
func Check(path string, timeout time.Duration) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := checkFile(path); err != nil {
		return err
	}
	opt := boltOptions(timeout)
	opt.ReadOnly = true
	bdb, err := bolt.Open(path, 0o600, opt)
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	defer bdb.Close()
	if reason := consistency(bdb); reason != "" {
		return &DamagedError{Path: path, Reason: reason}
	}
	return nil
}

// SalvageReport is what Salvage copied and what it could not read.
type SalvageReport struct {
	Buckets, Keys int
	Skipped       []string // the damage of each subtree left behind
}

// salvageBatch is how many keys one transaction of the copy writes.
const salvageBatch = 10_000

// Salvage copies every bucket, key and value of the queue file at src that
// can be read into a new file dst, skipping damaged pages. dst must not
// exist. The copy may lack records its indexes name (a part whose page was
// lost); Open and the queue take such entries out as they meet them.
func Salvage(src, dst string) (SalvageReport, error) {
	var rep SalvageReport
	f, err := os.Open(src)
	if err != nil {
		return rep, fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	w, err := newFileWalker(f)
	if err != nil {
		return rep, inFile(err, src)
	}
	if _, err := os.Stat(dst); err == nil {
		return rep, fmt.Errorf("store: %s exists; salvage writes a new file", dst)
	}
	out, err := bolt.Open(dst, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return rep, fmt.Errorf("store: %w", err)
	}
	tx, err := out.Begin(true)
	if err != nil {
		out.Close()
		return rep, fmt.Errorf("store: %w", err)
	}
	pending := 0
	w.lenient = true
	w.visit = func(path [][]byte, k, v []byte) error {
		b, err := bucketAt(tx, path, v == nil)
		if err != nil {
			return err
		}
		if v == nil {
			if _, err := b.CreateBucketIfNotExists(k); err != nil {
				return fmt.Errorf("store: salvage: bucket %q: %w", k, err)
			}
			rep.Buckets++
			return nil
		}
		// The walk's buffers are its own: no copy needed before the commit.
		if err := b.Put(k, v); err != nil {
			return fmt.Errorf("store: salvage: %q: %w", k, err)
		}
		rep.Keys++
		if pending++; pending >= salvageBatch {
			if err := tx.Commit(); err != nil {
				return fmt.Errorf("store: salvage: %w", err)
			}
			if tx, err = out.Begin(true); err != nil {
				return fmt.Errorf("store: salvage: %w", err)
			}
			pending = 0
		}
		return nil
	}
	err = w.walk()
	rep.Skipped = w.skipped
	if err == nil {
		err = tx.Commit()
	} else {
		_ = tx.Rollback()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return rep, inFile(err, src)
	}
	return rep, nil
}

// salvageTarget is a bucket of the copy, or its top level.
type salvageTarget interface {
	CreateBucketIfNotExists(name []byte) (*bolt.Bucket, error)
	Put(k, v []byte) error
}

// bucketAt finds the bucket path names in tx (the root for an empty path,
// which holds only buckets).
func bucketAt(tx *bolt.Tx, path [][]byte, forBucket bool) (salvageTarget, error) {
	if len(path) == 0 {
		if !forBucket {
			return nil, damaged("a key outside any bucket")
		}
		return rootBucket{tx}, nil
	}
	b := tx.Bucket(path[0])
	for _, name := range path[1:] {
		if b == nil {
			break
		}
		b = b.Bucket(name)
	}
	if b == nil {
		return nil, damaged("bucket %q was not copied", path)
	}
	return b, nil
}

// rootBucket lets the top level be written like a bucket.
type rootBucket struct{ tx *bolt.Tx }

func (r rootBucket) CreateBucketIfNotExists(name []byte) (*bolt.Bucket, error) {
	return r.tx.CreateBucketIfNotExists(name)
}

func (r rootBucket) Put([]byte, []byte) error { return damaged("a key outside any bucket") }
