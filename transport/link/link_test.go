package link

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/backoff"
)

type outcome struct {
	worked bool
	err    error
	lasts  time.Duration
}

var errLost = errors.New("lost")

// TestRunPauses: the pause after each attempt, for scripted outcomes.
func TestRunPauses(t *testing.T) {
	t.Parallel()
	fail := outcome{err: errLost}
	worked := outcome{worked: true, err: errLost}
	long := outcome{err: errLost, lasts: 30 * time.Millisecond}
	for _, c := range []struct {
		name     string
		script   []outcome
		healthy  time.Duration
		failures []int
		pauses   []time.Duration
	}{
		{"failures double the pause", []outcome{fail, fail, fail, fail},
			0, []int{1, 2, 3, 4}, []time.Duration{1, 2, 4, 8}},
		{"a session that worked resets and retries at once", []outcome{fail, fail, fail, worked, fail, fail},
			0, []int{1, 2, 3, 0, 1, 2}, []time.Duration{1, 2, 4, 0, 1, 2}},
		{"the ceiling holds", []outcome{fail, fail, fail, fail, fail, fail},
			0, []int{1, 2, 3, 4, 5, 6}, []time.Duration{1, 2, 4, 8, 10, 10}},
		{"a long session counts as working", []outcome{fail, fail, long, fail},
			20 * time.Millisecond, []int{1, 2, 0, 1}, []time.Duration{1, 2, 0, 1}},
		{"a long session does not count without HealthyAfter", []outcome{fail, fail, long, fail},
			0, []int{1, 2, 3, 4}, []time.Duration{1, 2, 4, 8}},
	} {
		ctx, cancel := context.WithCancel(t.Context())
		var failures []int
		var pauses []time.Duration
		i := 0
		l := Loop{
			Backoff:      backoff.Policy{Floor: time.Hour, Ceiling: 10 * time.Hour},
			HealthyAfter: c.healthy,
			Retrying: func(err error, n int, pause time.Duration) time.Duration {
				if !errors.Is(err, errLost) {
					t.Errorf("%s: Retrying got %v", c.name, err)
				}
				failures, pauses = append(failures, n), append(pauses, pause/time.Hour)
				return 0 // the test does not wait
			},
		}
		err := l.Run(ctx, func(context.Context) (bool, error) {
			o := c.script[i]
			i++
			if i == len(c.script) {
				cancel()
			}
			time.Sleep(o.lasts)
			return o.worked, o.err
		})
		cancel()
		if err != nil {
			t.Errorf("%s: Run = %v", c.name, err)
		}
		// The last attempt ends with ctx: it is not retried.
		want := len(c.script) - 1
		if !reflect.DeepEqual(failures, c.failures[:want]) || !reflect.DeepEqual(pauses, c.pauses[:want]) {
			t.Errorf("%s: failures %v pauses %v, want %v %v", c.name, failures, pauses, c.failures[:want], c.pauses[:want])
		}
	}
}

func TestRunReturnsFatal(t *testing.T) {
	t.Parallel()
	fatal := errors.New("the SIM refused its PIN")
	attempts := 0
	l := Loop{
		Backoff: backoff.Policy{Floor: time.Millisecond},
		Fatal:   func(err error) bool { return errors.Is(err, fatal) },
	}
	err := l.Run(t.Context(), func(context.Context) (bool, error) {
		attempts++
		if attempts < 3 {
			return false, errLost
		}
		return false, fatal
	})
	if !errors.Is(err, fatal) || attempts != 3 {
		t.Fatalf("Run = %v after %d attempts, want the fatal error after 3", err, attempts)
	}
}

// The end of ctx ends a pause at once, however long.
func TestRunStopsDuringPause(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	started := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- Loop{Backoff: backoff.Policy{Floor: time.Hour}}.Run(ctx, func(context.Context) (bool, error) {
			close(started)
			return false, errLost
		})
	}()
	<-started
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run still pausing after ctx ended")
	}
}
