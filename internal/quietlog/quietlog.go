// Package quietlog is a slog.Handler that collapses repeats: a warning or
// error logged over and over (a store that cannot write, a peer that keeps
// failing) is written a few times per interval, and the next line written
// says how many were left out.
package quietlog

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// maxKeys bounds the messages remembered; past it, windows that ended are
// forgotten.
const maxKeys = 4096

// Handler passes records below slog.LevelWarn through, and at most Burst
// records of one level and message per Every.
type Handler struct {
	next  slog.Handler
	every time.Duration
	burst int
	st    *state // shared by the handlers WithAttrs and WithGroup derive
}

type state struct {
	mu   sync.Mutex
	seen map[key]*window
}

type key struct {
	level slog.Level
	msg   string
}

type window struct {
	start   time.Time
	written int
	dropped int
}

// New wraps next: each warning or error message is written at most burst
// times per every.
func New(next slog.Handler, every time.Duration, burst int) *Handler {
	return &Handler{next: next, every: every, burst: max(burst, 1), st: &state{seen: map[key]*window{}}}
}

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// Handle implements slog.Handler. A record written after some were left
// out carries their count as repeats_suppressed.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return h.next.Handle(ctx, r)
	}
	dropped, write := h.admit(key{r.Level, r.Message}, r.Time)
	if !write {
		return nil
	}
	if dropped > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("repeats_suppressed", dropped))
	}
	return h.next.Handle(ctx, r)
}

// admit decides whether a record of k logged at t is written, and how many
// of k were left out since the last one written.
func (h *Handler) admit(k key, t time.Time) (dropped int, write bool) {
	h.st.mu.Lock()
	defer h.st.mu.Unlock()
	w := h.st.seen[k]
	if w == nil || t.Sub(w.start) >= h.every {
		if w != nil {
			dropped = w.dropped
		} else if len(h.st.seen) >= maxKeys {
			h.forget(t)
		}
		h.st.seen[k] = &window{start: t, written: 1}
		return dropped, true
	}
	if w.written < h.burst {
		w.written++
		return 0, true
	}
	w.dropped++
	return 0, false
}

// forget drops windows that have ended; their left-out counts go unsaid.
func (h *Handler) forget(t time.Time) {
	for k, w := range h.st.seen {
		if t.Sub(w.start) >= h.every {
			delete(h.st.seen, k)
		}
	}
}

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.next = h.next.WithAttrs(as)
	return &c
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	c := *h
	c.next = h.next.WithGroup(name)
	return &c
}
