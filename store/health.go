package store

import (
	"sync"
	"time"
)

// writeHealth is whether the queue file takes writes, as the committer last
// saw it: a full disk or a failing device shows here until a commit works
// again.
type writeHealth struct {
	mu    sync.Mutex
	err   error     // the last commit's failure; nil once one works
	since time.Time // when writes started to fail
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
// Otherwise it is the last commit's error and since the time writes started
// failing; it clears with the next commit that works.
func (db *DB) WriteFailure() (since time.Time, err error) {
	db.health.mu.Lock()
	defer db.health.mu.Unlock()
	return db.health.since, db.health.err
}
