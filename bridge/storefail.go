package bridge

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

// Backoff of work that writes to the store while its writes fail (a full
// disk, a failing device): without it, a part that is due and cannot be
// recorded as sent is tried again at once, forever.
const (
	storeRetryFloor   = 250 * time.Millisecond
	storeRetryCeiling = 30 * time.Second
)

// storeBackoff counts store writes that failed in a row and says how long
// to hold off before the next. Safe for concurrent use.
type storeBackoff struct {
	mu    sync.Mutex
	fails int
	until time.Time
}

// failed records err when it is a failed write (see writeFailed) and
// returns how long to hold off: 0 for a change the store refused.
func (b *storeBackoff) failed(err error) time.Duration {
	if !writeFailed(err) {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fails++
	d := backoff(b.fails, storeRetryFloor, storeRetryCeiling)
	b.until = time.Now().Add(d)
	return d
}

// ok records a write that worked: the next failure starts from the floor.
func (b *storeBackoff) ok() {
	b.mu.Lock()
	b.fails, b.until = 0, time.Time{}
	b.mu.Unlock()
}

// wait is how long is left to hold off; 0 when writes may be tried.
func (b *storeBackoff) wait() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return max(time.Until(b.until), 0)
}

// writeFailed tells a store that could not write from one that refused the
// change (a part in the wrong state, a damaged record): only the first is
// worth holding off for.
func writeFailed(err error) bool {
	for _, refusal := range []error{store.ErrNotFound, store.ErrState, store.ErrCorrupt, store.ErrInvalid, store.ErrExists} {
		if errors.Is(err, refusal) {
			return false
		}
	}
	return err != nil
}

// sleep waits out the hold-off, or until ctx ends.
func (b *storeBackoff) sleep(ctx context.Context) {
	wait := b.wait()
	if wait == 0 {
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
