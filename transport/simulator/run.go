package simulator

import (
	"container/heap"
	"context"
	"errors"
	"time"

	"github.com/smsbridge/smsbridge/transport"
)

// Run emits receipts to h as they fall due, from this one goroutine, until
// ctx is done. Receipts still pending then are dropped.
func (s *Simulator) Run(ctx context.Context, h transport.Handler) error {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return errors.New("simulator: Run called twice")
	}
	s.running = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running = false
		s.pending = receiptQueue{}
		s.mu.Unlock()
	}()

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		due, wait := s.takeDue(time.Now())
		for _, r := range due {
			r.Done = time.Now()
			// A simulated network does not send a receipt again.
			h.HandleReceipt(r, func(err error) {
				if err != nil {
					s.log.Warn("simulated receipt not applied", "id", r.MessageID, "err", err)
				}
			})
		}
		var fire <-chan time.Time
		if wait > 0 {
			timer.Reset(wait) // Go 1.23+: no stale tick to drain
			fire = timer.C
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.kick:
		case <-fire:
		}
	}
}

// takeDue removes the receipts due at now, and says how long until the next
// one (0 when none is pending).
func (s *Simulator) takeDue(now time.Time) ([]transport.Receipt, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []transport.Receipt
	for s.pending.Len() > 0 {
		next := s.pending.items[0]
		if next.due.After(now) {
			return due, next.due.Sub(now)
		}
		due = append(due, s.pending.pop().receipt)
	}
	return due, 0
}

type pending struct {
	due     time.Time
	order   uint64 // keeps receipts due at the same instant in Send order
	receipt transport.Receipt
}

// receiptQueue is a min-heap of pending receipts by due time.
type receiptQueue struct {
	items []pending
	added uint64
}

func (q *receiptQueue) push(p pending) {
	q.added++
	p.order = q.added
	heap.Push((*byDue)(q), p)
}

func (q *receiptQueue) pop() pending { return heap.Pop((*byDue)(q)).(pending) }

func (q *receiptQueue) Len() int { return len(q.items) }

// byDue adapts receiptQueue to container/heap.
type byDue receiptQueue

func (q *byDue) Len() int { return len(q.items) }

func (q *byDue) Less(i, j int) bool {
	a, b := q.items[i], q.items[j]
	if a.due.Equal(b.due) {
		return a.order < b.order
	}
	return a.due.Before(b.due)
}

func (q *byDue) Swap(i, j int) { q.items[i], q.items[j] = q.items[j], q.items[i] }

func (q *byDue) Push(x any) { q.items = append(q.items, x.(pending)) }

func (q *byDue) Pop() any {
	last := q.items[len(q.items)-1]
	q.items[len(q.items)-1] = pending{}
	q.items = q.items[:len(q.items)-1]
	return last
}
