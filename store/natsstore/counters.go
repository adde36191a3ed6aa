package natsstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

// PolicyCounters returns this instance's sender policy counters as last
// saved; nil when none were.
func (s *Store) PolicyCounters() ([]byte, error) {
	var out []byte
	err := s.read(func(v *view) error {
		out = slices.Clone(v.policy[s.opt.Instance])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: policy counters: %w", err)
	}
	return out, nil
}

// PolicyCountersAll returns every instance's policy counters by instance,
// for the command that merges them.
func (s *Store) PolicyCountersAll() (map[string][]byte, error) {
	out := map[string][]byte{}
	err := s.read(func(v *view) error {
		for inst, b := range v.policy {
			out[inst] = slices.Clone(b)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: policy counters: %w", err)
	}
	return out, nil
}

// SetPolicyCounters replaces this instance's policy counters; other
// instances keep theirs.
func (s *Store) SetPolicyCounters(ctx context.Context, data []byte) error {
	if _, err := s.write(ctx, policyKey(s.opt.Instance), slices.Clone(data), 0, putAny); err != nil {
		return fmt.Errorf("natsstore: policy counters: %w", err)
	}
	return nil
}

// Counts older than these are pruned when a SIM's count changes, as
// bbolt does.
const (
	quotaKeepDays   = 62
	quotaKeepMonths = 24
)

func quotaPeriods(day time.Time) (d, m string) { return day.Format("20060102"), day.Format("200601") }

// QuotaAdd adds n sends to sim's counts for the calendar day and month of
// day (in day's location) and returns the new counts, each by
// compare-and-swap so that instances sharing a SIM count every send.
func (s *Store) QuotaAdd(ctx context.Context, sim string, day time.Time, n int) (dayCount, monthCount int, err error) {
	if !validID(sim) || n < 0 {
		return 0, 0, fmt.Errorf("%w: quota of SIM %q by %d", store.ErrInvalid, sim, n)
	}
	dp, mp := quotaPeriods(day)
	if dayCount, err = s.addCount(ctx, quotaKey(sim, 'd', dp), n); err != nil {
		return 0, 0, fmt.Errorf("natsstore: quota of %s: %w", sim, err)
	}
	if monthCount, err = s.addCount(ctx, quotaKey(sim, 'm', mp), n); err != nil {
		return 0, 0, fmt.Errorf("natsstore: quota of %s: %w", sim, err)
	}
	if n > 0 {
		s.pruneQuota(ctx, sim, day)
	}
	return dayCount, monthCount, nil
}

func (s *Store) addCount(ctx context.Context, k string, n int) (int, error) {
	for try := 0; ; try++ {
		var c int
		var rev uint64
		var ok bool
		if err := s.read(func(v *view) error { c, rev, ok = v.quota[k], v.keys[k].rev, v.has(k); return nil }); err != nil {
			return 0, err
		}
		if n == 0 {
			return c, nil
		}
		mode := putUpdate
		if !ok {
			mode = putCreate
		}
		_, err := s.write(ctx, k, []byte(strconv.Itoa(c+n)), rev, mode)
		if (errors.Is(err, errConflict) || errors.Is(err, store.ErrExists)) && try < maxCAS {
			pause(try)
			if err := s.refresh(ctx, k); err != nil {
				return 0, err
			}
			continue
		}
		if err != nil {
			return 0, err
		}
		return c + n, nil
	}
}

// has reports whether the view holds a value for key.
func (v *view) has(key string) bool {
	_, ok := v.rev(key)
	return ok
}

// pruneQuota deletes sim's counts of days and months long past.
func (s *Store) pruneQuota(ctx context.Context, sim string, day time.Time) {
	dp, _ := quotaPeriods(day.AddDate(0, 0, -quotaKeepDays))
	_, mp := quotaPeriods(day.AddDate(0, -quotaKeepMonths, 0))
	dayFrom, monthFrom := quotaKey(sim, 'd', dp), quotaKey(sim, 'm', mp)
	dayPrefix, monthPrefix := quotaKey(sim, 'd', ""), quotaKey(sim, 'm', "")
	var old []string
	_ = s.read(func(v *view) error {
		for k := range v.quota {
			if strings.HasPrefix(k, dayPrefix) && k < dayFrom || strings.HasPrefix(k, monthPrefix) && k < monthFrom {
				old = append(old, k)
			}
		}
		return nil
	})
	for _, k := range old {
		if err := s.remove(ctx, k, 0); err != nil {
			s.log.Warn("old SIM count not pruned", "key", k, "err", err)
		}
	}
}

// QuotaGet returns sim's counts for the day and month of day.
func (s *Store) QuotaGet(_ context.Context, sim string, day time.Time) (dayCount, monthCount int, err error) {
	if !validID(sim) {
		return 0, 0, fmt.Errorf("%w: SIM %q", store.ErrInvalid, sim)
	}
	dp, mp := quotaPeriods(day)
	err = s.read(func(v *view) error {
		dayCount, monthCount = v.quota[quotaKey(sim, 'd', dp)], v.quota[quotaKey(sim, 'm', mp)]
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("natsstore: quota of %s: %w", sim, err)
	}
	return dayCount, monthCount, nil
}
