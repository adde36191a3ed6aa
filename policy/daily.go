package policy

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"
)

// DayCount is how much one key used on one day (UTC, "2006-01-02").
type DayCount struct {
	Day string `json:"day"`
	N   int    `json:"n"`
}

// CounterStore keeps daily counters across restarts. Save gets the whole
// current set and must replace what was saved before atomically.
type CounterStore interface {
	Load() (map[string]DayCount, error)
	Save(map[string]DayCount) error
}

// SharedCounterStore is a CounterStore that several gateways share: Load
// and Save keep this gateway's own counts, and Others gives what the
// other gateways have counted, which limits are checked against too.
type SharedCounterStore interface {
	CounterStore
	Others() map[string]DayCount
}

// dayCounters counts per key and day. Saves are grouped: a caller whose
// change is already covered by a save in progress or done does not save
// again.
type dayCounters struct {
	store  CounterStore
	shared SharedCounterStore // store, when other gateways count too

	mu      sync.Mutex
	counts  map[string]DayCount
	version uint64

	saveMu sync.Mutex
	saved  uint64
}

func loadDayCounters(store CounterStore) (*dayCounters, error) {
	d := &dayCounters{store: store, counts: map[string]DayCount{}}
	if store == nil {
		return d, nil
	}
	counts, err := store.Load()
	if err != nil {
		return nil, fmt.Errorf("loading counters: %w", err)
	}
	if counts != nil {
		d.counts = counts
	}
	d.shared, _ = store.(SharedCounterStore)
	return d, nil
}

func dayOf(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// charge adds n to every key unless that would take one over its limit
// (limit 0: none); it returns the index of the first key over, or -1.
func (d *dayCounters) charge(keys []string, limits []int, n int, now time.Time) int {
	day := dayOf(now)
	var others map[string]DayCount
	if d.shared != nil {
		others = d.shared.Others()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, k := range keys {
		c := d.counts[k]
		if c.Day != day {
			c = DayCount{Day: day}
		}
		if o := others[k]; o.Day == day {
			c.N += o.N
		}
		if limits[i] > 0 && c.N+n > limits[i] {
			return i
		}
	}
	for _, k := range keys {
		c := d.counts[k]
		if c.Day != day {
			c = DayCount{Day: day}
		}
		c.N += n
		d.counts[k] = c
	}
	d.version++
	return -1
}

// refund takes n back from keys on the day of now.
func (d *dayCounters) refund(keys []string, n int, now time.Time) {
	day := dayOf(now)
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, k := range keys {
		if c := d.counts[k]; c.Day == day {
			c.N = max(c.N-n, 0)
			d.counts[k] = c
		}
	}
	d.version++
}

// persist saves the counters as of now, unless a save already covered
// them. Counters of earlier days are dropped.
func (d *dayCounters) persist(now time.Time) error {
	if d.store == nil {
		return nil
	}
	d.mu.Lock()
	want := d.version
	d.mu.Unlock()
	d.saveMu.Lock()
	defer d.saveMu.Unlock()
	if d.saved >= want {
		return nil
	}
	d.mu.Lock()
	today := dayOf(now)
	maps.DeleteFunc(d.counts, func(_ string, c DayCount) bool { return c.Day != today })
	snap, v := maps.Clone(d.counts), d.version
	d.mu.Unlock()
	if err := d.store.Save(snap); err != nil {
		return fmt.Errorf("saving counters: %w", err)
	}
	d.saved = v
	return nil
}

// ChargeParts counts parts SMS parts against the parts_per_day limits of
// the mail's SMTP user ("" when none) and envelope sender. The bridge calls it in Submit once it knows
// the parts (parts × numbers), before storing the mail; over a limit it
// returns 450 4.7.1 naming it and counts nothing. When the mail is then not
// stored, call RefundParts. Counters are saved before it returns, so they
// survive a restart; a failed save is logged, not answered.
func (p *Policy) ChargeParts(_ context.Context, user, sender string, parts int) error {
	keys, limits, names := p.partKeys(user, sender)
	if len(keys) == 0 {
		return nil // no daily limit applies: nothing to count or save
	}
	now := p.now()
	if i := p.daily.charge(keys, limits, parts, now); i >= 0 {
		return limited("Daily limit: at most %d SMS parts per day for %s (parts_per_day)", limits[i], names[i])
	}
	if err := p.daily.persist(now); err != nil {
		p.log.Error("abuse counters not saved", "err", err)
	}
	return nil
}

// RefundParts takes back a ChargeParts whose mail was not stored.
func (p *Policy) RefundParts(user, sender string, parts int) {
	keys, _, _ := p.partKeys(user, sender)
	if len(keys) == 0 {
		return
	}
	now := p.now()
	p.daily.refund(keys, parts, now)
	if err := p.daily.persist(now); err != nil {
		p.log.Error("abuse counters not saved", "err", err)
	}
}

// partKeys names the counters a mail is charged to, with their limits;
// counters without a limit (0) are not kept at all.
func (p *Policy) partKeys(user, sender string) (keys []string, limits []int, names []string) {
	if user != "" {
		if limit := p.limitsFor(user).PartsPerDay; limit > 0 {
			keys = append(keys, "user:"+user)
			limits = append(limits, limit)
			names = append(names, "user "+user)
		}
	}
	if limit := p.rules().Limits.PartsPerDay; limit > 0 {
		keys = append(keys, "sender:"+senderKey(sender))
		limits = append(limits, limit)
		names = append(names, "<"+sender+">")
	}
	return keys, limits, names
}
