// Package campaign paces bulk messages to many numbers: a rate in parts per
// second and a daily time window, read in each recipient's time zone (from
// the number's region) or in one named zone. It plans when each part of a
// campaign is first due, so the queue itself keeps the pace.
package campaign

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// Pace is how a campaign is sent.
type Pace struct {
	Rate   float64 // parts per second, at most; 0 = as fast as the transports go
	Window Window  // when in the day parts may go; the zero Window is all day
	Zone   string  // IANA zone the window is read in; "" = each recipient's own
}

// Window is a daily span of local time, [Start, End) in minutes after
// midnight; End before Start spans midnight. Start == End is all day.
type Window struct{ Start, End int }

const day = 24 * 60

// AllDay reports whether w lets parts go at any time.
func (w Window) AllDay() bool { return w.Start == w.End }

func (w Window) String() string {
	if w.AllDay() {
		return ""
	}
	return fmt.Sprintf("%02d:%02d-%02d:%02d", w.Start/60, w.Start%60, w.End/60, w.End%60)
}

// ParseWindow reads "HH:MM-HH:MM" ("08:00-20:00"; "22:00-06:00" spans
// midnight); "" is all day.
func ParseWindow(s string) (Window, error) {
	if s == "" {
		return Window{}, nil
	}
	from, to, ok := strings.Cut(s, "-")
	start, err1 := clock(from)
	end, err2 := clock(to)
	if !ok || err1 != nil || err2 != nil {
		return Window{}, fmt.Errorf("%q is not a time window such as \"08:00-20:00\"", s)
	}
	if start == end {
		return Window{}, fmt.Errorf("%q is an empty time window; leave it out for all day", s)
	}
	return Window{start, end}, nil
}

func clock(s string) (int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil || len(strings.TrimSpace(s)) != 5 {
		return 0, fmt.Errorf("bad clock time %q", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// minute is t's minute of the day in loc.
func minute(t time.Time, loc *time.Location) int {
	l := t.In(loc)
	return l.Hour()*60 + l.Minute()
}

// Open reports whether t falls inside w in loc.
func (w Window) Open(t time.Time, loc *time.Location) bool {
	if w.AllDay() {
		return true
	}
	m := minute(t, loc)
	if w.Start < w.End {
		return w.Start <= m && m < w.End
	}
	return m >= w.Start || m < w.End
}

// Next is the first time at or after t inside w in loc.
func (w Window) Next(t time.Time, loc *time.Location) time.Time {
	if w.Open(t, loc) {
		return t
	}
	l := t.In(loc)
	start := time.Date(l.Year(), l.Month(), l.Day(), w.Start/60, w.Start%60, 0, 0, loc)
	if !start.After(t) {
		start = time.Date(l.Year(), l.Month(), l.Day()+1, w.Start/60, w.Start%60, 0, 0, loc)
	}
	return start
}

// CheckZone checks a zone setting: "" (each recipient's own) or an IANA
// name this system knows.
func CheckZone(name string) error {
	if name == "" {
		return nil
	}
	_, err := location(name)
	return err
}

var zones sync.Map // IANA name → *time.Location

func location(name string) (*time.Location, error) {
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	zones.Store(name, l)
	return l, nil
}

// Location is the zone p's window is read in for number (E.164): p.Zone,
// else the first zone the numbering plan gives the number's prefix, else
// UTC when the plan knows none (or the system lacks it).
func (p Pace) Location(number string) *time.Location {
	name := p.Zone
	if name == "" {
		tzs, err := phonenumbers.GetTimezonesForPrefix(number)
		if err != nil || len(tzs) == 0 || tzs[0] == phonenumbers.UNKNOWN_TIMEZONE {
			return time.UTC
		}
		name = tzs[0]
	}
	l, err := location(name)
	if err != nil {
		return time.UTC
	}
	return l
}

// Paced reports whether p holds parts back at all.
func (p Pace) Paced() bool { return p.Rate > 0 || !p.Window.AllDay() }
