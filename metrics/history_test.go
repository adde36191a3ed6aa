package metrics

import (
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

func TestHistoryMinutes(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 30, 0, time.UTC)
	h := &history{now: func() time.Time { return now }}
	h.add(func(m *Minute) { m.Accepted++ })
	h.partFinal(store.PartFailed)
	h.partFinal(store.PartDelivered) // not a failure
	now = now.Add(2 * time.Minute)
	h.add(func(m *Minute) { m.Submitted, m.Took = m.Submitted+1, m.Took+time.Second })
	got := h.last(3)
	if len(got) != 3 || !got[2].Start.Equal(time.Date(2025, 3, 1, 12, 2, 0, 0, time.UTC)) {
		t.Fatalf("last(3) = %+v", got)
	}
	if got[0].Accepted != 1 || got[0].Failed != 1 || got[1] != (Minute{Start: got[0].Start.Add(time.Minute)}) ||
		got[2].Submitted != 1 || got[2].Took != time.Second {
		t.Errorf("last(3) = %+v", got)
	}
	// A day later the ring has come round: the old minute is not counted
	// in the bucket it shares with the new one.
	now = now.Add(24*time.Hour - 2*time.Minute)
	h.add(func(m *Minute) { m.Accepted++ })
	day := h.last(historyMinutes + 10)
	if len(day) != historyMinutes || day[len(day)-1].Accepted != 1 || day[len(day)-1].Failed != 0 {
		t.Errorf("after a day: %d minutes, last %+v", len(day), day[len(day)-1])
	}
	total := 0
	for _, m := range day {
		total += m.Accepted + m.Submitted + m.Failed
	}
	if total != 2 { // the new minute's accepted, and the submit of 12:02
		t.Errorf("a day holds %d events, want 2", total)
	}
}
