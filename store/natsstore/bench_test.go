package natsstore

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

func benchStore(b *testing.B) *Store {
	b.Helper()
	s, err := openOn(shared.js, freshPrefix(), "gw1", 1)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

func benchMessage(i int) *store.Message {
	m := message()
	m.ID = fmt.Sprintf("bench-%08d", i)
	return m
}

// BenchmarkEnqueue: one message of one recipient, two parts: a recipient
// record and the message record, each on the server's disk.
func BenchmarkEnqueue(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if err := s.Enqueue(ctx, benchMessage(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSend: a part's life after Enqueue: Begin, Submitted (its id
// record and the recipient), Finish.
func BenchmarkSend(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	for i := range b.N {
		if err := s.Enqueue(ctx, benchMessage(i)); err != nil {
			b.Fatal(err)
		}
	}
	now := time.Now()
	b.ResetTimer()
	for i := range b.N {
		k := store.PartKey{Msg: benchMessage(i).ID}
		if skipped, err := s.Begin(ctx, []store.PartKey{k}, "smsc", now); err != nil || len(skipped) > 0 {
			b.Fatal(skipped, err)
		}
		if err := s.Submitted(ctx, k, fmt.Sprint("id-", i), now); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Finish(ctx, k, store.PartDelivered, "delivered", now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnqueueParallel: Enqueues from many goroutines at once, as SMTP
// sessions make them; the server takes writes concurrently.
func BenchmarkEnqueueParallel(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.Enqueue(ctx, benchMessage(int(n.Add(1)))); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkDue: the dispatcher's read of a queue of 4000 parts, served
// from the view.
func BenchmarkDue(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	for i := range 2000 {
		if err := s.Enqueue(ctx, benchMessage(i)); err != nil {
			b.Fatal(err)
		}
	}
	now := time.Now().Add(time.Hour)
	b.ResetTimer()
	for range b.N {
		if dps, err := s.Due(now, 100); err != nil || len(dps) != 100 {
			b.Fatal(len(dps), err)
		}
	}
}
