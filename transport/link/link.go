// Package link keeps the connection to a peer up (an SMSC bind, a modem's
// port): connect and serve until the link is lost, then again, with a
// backoff between attempts that fail and none after a session that worked.
package link

import (
	"context"
	"time"

	"github.com/smsbridge/smsbridge/internal/backoff"
)

// Attempt connects and serves until the link is lost or ctx ends. worked
// says whether the session did useful work (a message went out or came
// in): its loss is then a fresh fault, not one more failure in a row.
type Attempt func(ctx context.Context) (worked bool, err error)

// Loop is how one link is kept up.
type Loop struct {
	Backoff backoff.Policy
	// HealthyAfter makes an attempt that lasted this long count as having
	// worked even with no traffic (a receiver the peer sent nothing on).
	// Zero means only traffic counts.
	HealthyAfter time.Duration
	// Fatal, when set, picks out the errors retrying cannot mend: Run
	// returns them.
	Fatal func(error) bool
	// Retrying, when set, is told of each attempt that ended, with the
	// number of failures in a row (0 after a session that worked) and the
	// pause before the next one; it returns the pause to keep, so a caller
	// may shorten it for some errors (and logs the loss).
	Retrying func(err error, failures int, pause time.Duration) time.Duration
}

// Run makes attempts until ctx ends, when it returns nil, or until one
// fails with a fatal error, which it returns. A lost session that worked
// is followed by a new attempt at once; each failure after it waits the
// backoff's next delay.
func (l Loop) Run(ctx context.Context, attempt Attempt) error {
	failures := 0
	for ctx.Err() == nil {
		began := time.Now()
		worked, err := attempt(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if l.Fatal != nil && err != nil && l.Fatal(err) {
			return err
		}
		pause := time.Duration(0)
		if worked || (l.HealthyAfter > 0 && time.Since(began) >= l.HealthyAfter) {
			failures = 0
		} else {
			failures++
			pause = l.Backoff.Delay(failures)
		}
		if l.Retrying != nil {
			pause = l.Retrying(err, failures, pause)
		}
		if !sleep(ctx, pause) {
			return nil
		}
	}
	return nil
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
