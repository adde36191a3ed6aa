package quietlog

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestCollapsesRepeats(t *testing.T) {
	var buf bytes.Buffer
	h := New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}), time.Minute, 3)
	log := slog.New(h).With("component", "store")
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(d time.Duration, level slog.Level, msg string) {
		r := slog.NewRecord(t0.Add(d), level, msg, 0)
		if err := log.Handler().Handle(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 1000 {
		at(time.Duration(i)*time.Millisecond, slog.LevelError, "commit failed")
		at(time.Duration(i)*time.Millisecond, slog.LevelInfo, "submitted")
	}
	at(time.Second, slog.LevelWarn, "commit failed") // another level, another message
	at(time.Minute, slog.LevelError, "commit failed")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	count := func(sub string) int {
		n := 0
		for _, l := range lines {
			if strings.Contains(l, sub) {
				n++
			}
		}
		return n
	}
	if n := count("level=ERROR"); n != 4 {
		t.Errorf("%d error lines, want 3 in the first minute and 1 after", n)
	}
	if n := count("level=INFO"); n != 1000 {
		t.Errorf("%d info lines, want all 1000", n)
	}
	if n := count("level=WARN"); n != 1 {
		t.Errorf("%d warnings, want 1", n)
	}
	last := lines[len(lines)-1]
	if !strings.Contains(last, "repeats_suppressed=997") || !strings.Contains(last, "component=store") {
		t.Errorf("last line %q: want the count of the 997 left out and the logger's attributes", last)
	}
}

func TestForgetsEndedWindows(t *testing.T) {
	var buf bytes.Buffer
	h := New(slog.NewTextHandler(&buf, nil), time.Second, 1)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range maxKeys + 10 {
		msg := "failure " + strings.Repeat("x", i%50) + string(rune('a'+i%26)) + time.Duration(i).String()
		_ = h.Handle(context.Background(), slog.NewRecord(t0.Add(time.Duration(i)*time.Millisecond), slog.LevelError, msg, 0))
	}
	if n := len(h.st.seen); n > maxKeys {
		t.Errorf("%d messages remembered, want at most %d", n, maxKeys)
	}
}
