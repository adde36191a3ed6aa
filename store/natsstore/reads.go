package natsstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/store"
)

// Due lists queued parts with NextAttempt <= now, most urgent class first
// and earliest first within a class, at most limit. Every instance sees
// every queued part; Begin decides which one sends it.
func (s *Store) Due(now time.Time, limit int) ([]store.DuePart, error) {
	return s.due(now, limit, priority.Classes[:]...)
}

// DueIn is Due of one class.
func (s *Store) DueIn(class priority.Class, now time.Time, limit int) ([]store.DuePart, error) {
	return s.due(now, limit, class)
}

func (s *Store) due(now time.Time, limit int, classes ...priority.Class) ([]store.DuePart, error) {
	if limit <= 0 {
		return nil, nil
	}
	var out []store.DuePart
	err := s.read(func(v *view) error {
		for _, class := range classes {
			rank := class.Rank()
			for i := v.due.from(dueItem{rank: rank, next: time.Time{}.Add(-1 << 63)}); i < len(v.due.items) && len(out) < limit; i++ {
				d := v.due.items[i]
				if d.rank != rank || d.next.After(now) {
					break
				}
				m, r := v.msgs[d.key.Msg], v.rcpts[rcptOf(d.key)]
				out = append(out, store.DuePart{Key: d.key, Number: r.Number, Sender: m.Sender, Source: m.Source,
					Received: m.Received, Expires: m.Expires, Class: m.Class, Campaign: m.Campaign, Part: r.Parts[d.key.Part].Part})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: due: %w", err)
	}
	return out, nil
}

// NextDue is the earliest NextAttempt of any queued part; ok is false when
// nothing is queued.
func (s *Store) NextDue() (t time.Time, ok bool, err error) {
	err = s.read(func(v *view) error {
		for _, d := range v.firstDue() {
			if !ok || d.Before(t) {
				t, ok = d, true
			}
		}
		return nil
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("natsstore: next due: %w", err)
	}
	return t, ok, nil
}

// firstDue is the earliest due time of each class that has queued parts.
func (v *view) firstDue() []time.Time {
	var out []time.Time
	for _, c := range priority.Classes {
		i := v.due.from(dueItem{rank: c.Rank(), next: time.Time{}.Add(-1 << 63)})
		if i < len(v.due.items) && v.due.items[i].rank == c.Rank() {
			out = append(out, v.due.items[i].next)
		}
	}
	return out
}

// Lookup finds the part a network id belongs to. Ids are forgotten once
// the part is final or retried. On a miss it asks the server: another
// instance may have recorded the submit a moment ago.
func (s *Store) Lookup(transport, transportID string) (store.PartKey, bool, error) {
	tk := tidKey(transport, transportID)
	var k store.PartKey
	var ok bool
	find := func(v *view) error {
		k, ok = v.tids[tk]
		return nil
	}
	if err := s.read(find); err != nil {
		return store.PartKey{}, false, fmt.Errorf("natsstore: lookup: %w", err)
	}
	if ok {
		return k, true, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opt.Timeout)
	defer cancel()
	e, err := s.leader.get(ctx, tk)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyDeleted):
		return store.PartKey{}, false, nil
	case err != nil:
		return store.PartKey{}, false, fmt.Errorf("natsstore: lookup: %w", err)
	}
	t, err := decodeTID(e.val)
	if err != nil {
		return store.PartKey{}, false, fmt.Errorf("natsstore: lookup: %w", err)
	}
	rk := store.RcptKey{Msg: t.Msg, Rcpt: t.Rcpt}
	if err := s.refreshAll(ctx, msgKey(t.Msg), rcptKey(rk)); err != nil {
		return store.PartKey{}, false, fmt.Errorf("natsstore: lookup: %w", err)
	}
	if err := s.read(find); err != nil {
		return store.PartKey{}, false, fmt.Errorf("natsstore: lookup: %w", err)
	}
	return k, ok, nil
}

// Overdue lists parts still submitted whose message expired before t,
// earliest expiry first, at most limit.
func (s *Store) Overdue(t time.Time, limit int) ([]store.PartKey, error) {
	var out []store.PartKey
	err := s.read(func(v *view) error {
		for _, o := range v.overdue.items {
			if len(out) == limit || !o.t.Before(t) {
				break
			}
			out = append(out, o.key)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: overdue: %w", err)
	}
	return out, nil
}

// Stats counts parts by state, every state present.
func (s *Store) Stats() (map[store.PartState]int, error) {
	out := make(map[store.PartState]int, int(store.PartCancelled))
	err := s.read(func(v *view) error {
		for st := store.PartQueued; st <= store.PartCancelled; st++ {
			out[st] = v.stats[st]
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: stats: %w", err)
	}
	return out, nil
}

// Queued calls fn for queued parts by class, then in order of their next
// attempt, at most limit of them, under the view's read lock: fn must be
// quick and must not use the store. complete is false when limit cut the
// walk short.
func (s *Store) Queued(limit int, fn func(store.QueuedPart)) (complete bool, err error) {
	err = s.read(func(v *view) error {
		complete = true
		for n, d := range v.due.items {
			if n == limit {
				complete = false
				return nil
			}
			m, r := v.msgs[d.key.Msg], v.rcpts[rcptOf(d.key)]
			p := &r.Parts[d.key.Part]
			fn(store.QueuedPart{Key: d.key, Number: r.Number, Transport: p.Transport, Received: m.Received,
				NextAttempt: p.NextAttempt, Attempts: p.Attempts, Class: m.Class})
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("natsstore: queued: %w", err)
	}
	return complete, nil
}

// listScanMax bounds the messages one List call reads, as bbolt's does.
const listScanMax = 5000

// List returns messages newest first (by id, as bbolt), paged by
// q.Before; see store.DB.List.
func (s *Store) List(q store.ListQuery) (out []store.Summary, next string, err error) {
	limit := q.Limit
	if limit <= 0 {
		limit = store.DefaultListLimit
	}
	limit = min(limit, store.MaxListLimit)
	err = s.read(func(v *view) error {
		start := len(v.list.items) - 1
		if validID(q.Before) {
			if i := v.list.from(q.Before); i < len(v.list.items) {
				start = i - 1
			}
		}
		last := ""
		scanned := 0
		for i := start; i >= 0; i-- {
			if len(out) == limit || scanned == listScanMax {
				next = last
				return nil
			}
			scanned++
			id := v.list.items[i]
			last = id
			if sm, ok := v.summary(id, &q); ok {
				out = append(out, sm)
			}
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("natsstore: list: %w", err)
	}
	return out, next, nil
}

// summary is message id as List shows it, and whether q selects it.
func (v *view) summary(id string, q *store.ListQuery) (store.Summary, bool) {
	m, rs, ok := v.message(id)
	if !ok || !q.Since.IsZero() && m.Received.Before(q.Since) {
		return store.Summary{}, false
	}
	sm := store.Summary{ID: id, Received: m.Received, Expires: m.Expires, Sender: m.Sender, Subject: m.Subject,
		Class: m.Class, Parts: map[store.PartState]int{}}
	toMatch := q.To == ""
	for _, r := range rs {
		toMatch = toMatch || r.Number == q.To
		parts := make([]store.Part, len(r.Parts))
		for j, p := range r.Parts {
			sm.Parts[p.State]++
			parts[j] = p.Part
		}
		sm.Recipients = append(sm.Recipients, store.RcptSummary{Address: r.Address, Number: r.Number,
			State: store.RecipientState(parts), Parts: len(parts)})
	}
	return sm, toMatch && (q.State == 0 || sm.Parts[q.State] > 0)
}

// Campaigns lists campaigns newest first, at most limit.
func (s *Store) Campaigns(limit int) ([]store.CampaignSummary, error) {
	var out []store.CampaignSummary
	err := s.read(func(v *view) error {
		for i := len(v.campaigns.items) - 1; i >= 0 && len(out) < limit; i-- {
			if c, ok := v.campaign(v.campaigns.items[i].id); ok {
				out = append(out, c)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: campaigns: %w", err)
	}
	return out, nil
}

// Campaign is one campaign's summary; store.ErrNotFound when id is no
// campaign.
func (s *Store) Campaign(id string) (store.CampaignSummary, error) {
	var out store.CampaignSummary
	err := s.read(func(v *view) error {
		c, ok := v.campaign(id)
		if !ok {
			return fmt.Errorf("campaign %s: %w", id, store.ErrNotFound)
		}
		out = c
		return nil
	})
	if err != nil {
		return store.CampaignSummary{}, fmt.Errorf("natsstore: %w", err)
	}
	return out, nil
}

func (v *view) campaign(id string) (store.CampaignSummary, bool) {
	m, rs, ok := v.message(id)
	if !ok || m.Campaign == nil {
		return store.CampaignSummary{}, false
	}
	c := store.CampaignSummary{ID: id, Received: m.Received, Sender: m.Sender, Subject: m.Subject, Pace: *m.Campaign,
		Recipients: m.Recipients, Parts: map[store.PartState]int{}}
	for _, r := range rs {
		for _, p := range r.Parts {
			c.Parts[p.State]++
		}
	}
	return c, true
}
