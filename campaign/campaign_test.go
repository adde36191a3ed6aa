package campaign

import (
	"testing"
	"time"
)

func TestParseWindow(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Window
		ok   bool
	}{
		{"", Window{}, true},
		{"08:00-20:00", Window{480, 1200}, true},
		{"22:30-06:15", Window{1350, 375}, true},
		{" 08:00 - 20:00 ", Window{480, 1200}, true},
		{"8:00-20:00", Window{}, false},
		{"08:00-24:00", Window{}, false},
		{"08:00", Window{}, false},
		{"08:00-08:00", Window{}, false},
		{"aa:bb-cc:dd", Window{}, false},
	} {
		got, err := ParseWindow(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseWindow(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if err == nil && tt.in != "" && got.String() != "" {
			if again, err := ParseWindow(got.String()); err != nil || again != got {
				t.Errorf("%q does not read back: %v %v", got.String(), again, err)
			}
		}
	}
}

func TestWindowOpenAndNext(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	day := Window{8 * 60, 20 * 60}
	night := Window{22 * 60, 6 * 60}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, ny)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tt := range []struct {
		w    Window
		t    string
		open bool
		next string
	}{
		{day, "2026-12-03 07:59", false, "2026-12-03 08:00"},
		{day, "2026-12-03 08:00", true, "2026-12-03 08:00"},
		{day, "2026-12-03 19:59", true, "2026-12-03 19:59"},
		{day, "2026-12-03 20:00", false, "2026-12-04 08:00"},
		{night, "2026-12-03 23:00", true, "2026-12-03 23:00"},
		{night, "2026-12-03 05:59", true, "2026-12-03 05:59"},
		{night, "2026-12-03 12:00", false, "2026-12-03 22:00"},
		{Window{}, "2026-12-03 03:00", true, "2026-12-03 03:00"},
		// The night before the clocks go forward (2026-03-08 02:00 → 03:00).
		{day, "2026-03-07 21:00", false, "2026-03-08 08:00"},
	} {
		tm := at(tt.t)
		if got := tt.w.Open(tm, ny); got != tt.open {
			t.Errorf("%v.Open(%s) = %v", tt.w, tt.t, got)
		}
		if got := tt.w.Next(tm, ny); !got.Equal(at(tt.next)) {
			t.Errorf("%v.Next(%s) = %v, want %s", tt.w, tt.t, got.In(ny), tt.next)
		}
	}
}

func TestLocationFromNumber(t *testing.T) {
	if _, err := time.LoadLocation("Europe/Zurich"); err != nil {
		t.Skip("no tzdata:", err)
	}
	for _, tt := range []struct {
		p      Pace
		number string
		want   string
	}{
		{Pace{}, "+41791234567", "Europe/Zurich"},
		{Pace{}, "+14155550100", "America/Los_Angeles"},
		{Pace{}, "+12125550100", "America/New_York"},
		{Pace{Zone: "Asia/Tokyo"}, "+14155550100", "Asia/Tokyo"},
		{Pace{}, "+999", "UTC"},
	} {
		if got := tt.p.Location(tt.number).String(); got != tt.want {
			t.Errorf("Location(%+v, %s) = %s, want %s", tt.p, tt.number, got, tt.want)
		}
	}
	if CheckZone("Mars/Olympus") == nil || CheckZone("") != nil || CheckZone("UTC") != nil {
		t.Error("CheckZone")
	}
}

// Ten parts a second: parts are one slot apart; a recipient whose window
// is closed waits for it, and takes free slots then, between the others'.
func TestPlanner(t *testing.T) {
	start := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC) // 13:00 in Zurich, 07:00 in New York
	pl := NewPlanner(Pace{Rate: 10, Window: Window{8 * 60, 20 * 60}}, start)
	var got []time.Duration
	for _, n := range []string{"+41791234567", "+41791234568", "+12125550100", "+41791234569", "+12125550101"} {
		got = append(got, pl.Due(n).Sub(start))
	}
	want := []time.Duration{0, 100 * time.Millisecond, time.Hour, 200 * time.Millisecond, time.Hour + 100*time.Millisecond}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("part %d due after %v, want %v (all: %v)", i, got[i], want[i], got)
		}
	}

	// Without a window: strictly one slot after another.
	pl = NewPlanner(Pace{Rate: 4}, start)
	for i := range 1000 {
		if d := pl.Due("+41791234567").Sub(start); d != time.Duration(i)*250*time.Millisecond {
			t.Fatalf("part %d due after %v", i, d)
		}
	}
	// Without a rate: at once, or when the window opens.
	pl = NewPlanner(Pace{Window: Window{8 * 60, 20 * 60}}, start)
	if d := pl.Due("+41791234567").Sub(start); d != 0 {
		t.Errorf("no rate, window open: %v", d)
	}
	if d := pl.Due("+12125550100").Sub(start); d != time.Hour {
		t.Errorf("no rate, window closed: %v", d)
	}
}

// A window that fills up carries the rest to the next day.
func TestPlannerWindowFull(t *testing.T) {
	start := time.Date(2026, 12, 3, 19, 59, 59, 0, time.UTC)
	pl := NewPlanner(Pace{Rate: 1, Window: Window{8 * 60, 20 * 60}, Zone: "UTC"}, start)
	first, second := pl.Due("+1"), pl.Due("+1")
	if !first.Equal(start) || !second.Equal(time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("due %v and %v", first, second)
	}
}

func FuzzParseWindow(f *testing.F) {
	f.Add("08:00-20:00")
	f.Add("23:59-00:00")
	f.Add("-")
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWindow(s)
		if err != nil {
			return
		}
		if w.Start < 0 || w.Start >= day || w.End < 0 || w.End >= day {
			t.Fatalf("%q gave %+v", s, w)
		}
		if s != "" {
			if again, err := ParseWindow(w.String()); err != nil || again != w {
				t.Fatalf("%q → %q does not read back", s, w.String())
			}
		}
	})
}
