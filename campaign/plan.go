package campaign

import "time"

// maxDays bounds how far ahead a part is looked for a slot in its window.
const maxDays = 400

// Planner hands out the first due time of each part of one campaign: at
// most Rate parts per second in all, each inside the window of its
// recipient's zone. Parts are planned in the order they come; a part whose
// window is closed takes the first free slot when it opens, so the pace
// holds across zones whose windows overlap.
type Planner struct {
	pace  Pace
	start time.Time
	slot  time.Duration   // 1/Rate; 0 without a rate
	next  map[int64]int64 // slot → a later slot that may be free (taken slots only)
	locs  map[string]*time.Location
}

// NewPlanner plans parts of a campaign with pace p that may go from start on.
func NewPlanner(p Pace, start time.Time) *Planner {
	pl := &Planner{pace: p, start: start, next: map[int64]int64{}}
	if p.Rate > 0 {
		pl.slot = max(time.Duration(float64(time.Second)/p.Rate), time.Nanosecond)
	}
	return pl
}

// Due is when the next part to number is first due.
func (pl *Planner) Due(number string) time.Time {
	loc := pl.loc(number)
	t := pl.pace.Window.Next(pl.start, loc)
	if pl.slot == 0 {
		return t
	}
	for range maxDays * 2 {
		s := pl.free(pl.index(t))
		at := pl.start.Add(time.Duration(s) * pl.slot)
		if pl.pace.Window.Open(at, loc) {
			pl.next[s] = s + 1
			return at
		}
		t = pl.pace.Window.Next(at, loc) // the window closed while its slots filled
	}
	return t
}

// index is the first slot at or after t.
func (pl *Planner) index(t time.Time) int64 {
	d := t.Sub(pl.start)
	return int64((d + pl.slot - 1) / pl.slot)
}

// free is the first slot at or after s not taken, halving the paths it
// walks so that planning n parts costs about n steps.
func (pl *Planner) free(s int64) int64 {
	root := s
	for {
		n, taken := pl.next[root]
		if !taken {
			break
		}
		root = n
	}
	for s != root {
		n := pl.next[s]
		pl.next[s] = root
		s = n
	}
	return root
}

func (pl *Planner) loc(number string) *time.Location {
	if pl.pace.Window.AllDay() {
		return time.UTC
	}
	return pl.pace.Location(number)
}
