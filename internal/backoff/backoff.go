// Package backoff is the one capped exponential backoff of smsbridge:
// retries of parts and of mail, SMSC and modem reconnects, SMTP AUTH
// throttling.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Policy doubles a delay from Floor for each failure, up to Ceiling.
type Policy struct {
	Floor   time.Duration // the delay after the first failure
	Ceiling time.Duration // delays stop doubling here; zero means no cap
	// Jitter spreads each delay evenly over ±Jitter of itself (0.2 is
	// ±20%), so that retries started together do not stay in step. Zero
	// gives exact delays.
	Jitter float64
}

// Delay returns the pause after n failures in a row: Floor for the first
// (and for n below 1), twice as long for each further one, capped at
// Ceiling, then jittered.
func (p Policy) Delay(n int) time.Duration {
	d := max(p.Floor, 0)
	for i := 1; i < n && d > 0 && d <= maxDuration/2 && (p.Ceiling <= 0 || d < p.Ceiling); i++ {
		d *= 2
	}
	if p.Ceiling > 0 {
		d = min(d, p.Ceiling)
	}
	if spread := time.Duration(float64(d) * min(max(p.Jitter, 0), 1)); spread > 0 {
		d += rand.N(2*spread+1) - spread
	}
	return d
}

const maxDuration = time.Duration(1<<63 - 1)
