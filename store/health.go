package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"
)

// ErrDiskFull: the queue file's disk has less than minFreeSpace left.
// Small changes may still fit in pages the file has freed, but new mail
// does not.
var ErrDiskFull = errors.New("store: disk full")

// minFreeSpace is the free space below which the store's disk counts as
// full.
const minFreeSpace = 256 << 10

// writeHealth is whether the queue file takes writes, as the committer last
// saw it: a full disk or a failing device shows here until a commit works
// again.
type writeHealth struct {
	mu        sync.Mutex
	err       error     // the last commit's failure; nil once one works
	since     time.Time // when commits started to fail
	fullSince time.Time // when the disk was first seen full; zero when not
}

func (h *writeHealth) set(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		h.err, h.since = nil, time.Time{}
		return
	}
	if h.err == nil {
		h.since = time.Now()
	}
	h.err = err
}

// WriteFailure returns a nil error while the queue file takes writes.
// Otherwise err is the last commit's error, or ErrDiskFull when the disk
// has (almost) no space left, and since is when that started. A failed
// commit is forgotten with the next one that works.
func (db *DB) WriteFailure() (since time.Time, err error) {
	free, serr := freeSpace(filepath.Dir(db.bolt.Path()))
	db.health.mu.Lock()
	defer db.health.mu.Unlock()
	h := &db.health
	if serr == nil && free < minFreeSpace {
		if h.fullSince.IsZero() {
			h.fullSince = time.Now()
		}
	} else {
		h.fullSince = time.Time{}
	}
	switch {
	case h.err != nil:
		return h.since, h.err
	case !h.fullSince.IsZero():
		return h.fullSince, fmt.Errorf("%w: %d bytes left", ErrDiskFull, free)
	}
	return time.Time{}, nil
}
