package smpp

import (
	"sync"
	"time"
)

// Pauses a bind takes after the SMSC says it is throttling or its queue is
// full: doubling from throttleMin on each throttle seen after the previous
// pause ended, halving on each accepted submit.
const (
	throttleMin = 100 * time.Millisecond
	throttleMax = 10 * time.Second
)

// throttle is the pause state of one bind. A throttled submit makes the bind
// take no new submits until the pause ends; submits already in flight when
// the pause began do not lengthen it, so one full window answered 0x58 is
// one step, not window steps.
type throttle struct {
	mu    sync.Mutex
	delay time.Duration // the next pause; 0 when not throttled lately
	until time.Time     // no new submit before this
}

// hit records a throttled submit that was sent at sent. It returns the
// pause begun, or 0 when the submit predates the current pause.
func (t *throttle) hit(sent, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if sent.Before(t.until) {
		return 0
	}
	switch {
	case t.delay == 0:
		t.delay = throttleMin
	case t.delay < throttleMax:
		t.delay = min(2*t.delay, throttleMax)
	}
	t.until = now.Add(t.delay)
	return t.delay
}

// ok records an accepted submit: the next pause, if any, is shorter.
func (t *throttle) ok() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.delay /= 2; t.delay < throttleMin {
		t.delay = 0
	}
}

// pausedUntil returns the end of the pause, zero or past when none.
func (t *throttle) pausedUntil() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.until
}
