package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// The benchmarks write to t.TempDir on the real disk: every commit fsyncs.
// Keep b.N modest, e.g. go test -run=^$ -bench=. -benchtime=2000x ./store/

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

func BenchmarkEnqueue(b *testing.B) {
	b.Run("serial", func(b *testing.B) {
		db, _ := openTest(b)
		ctx := context.Background()
		for i := range b.N {
			if err := db.Enqueue(ctx, testMessage(fmt.Sprintf("S%08d", i), 1, 2, t0)); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b)
	})
	b.Run("parallel", func(b *testing.B) {
		db, _ := openTest(b)
		ctx := context.Background()
		var n atomic.Int64
		b.SetParallelism(32) // SMTP sessions: many writers on few cores
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := db.Enqueue(ctx, testMessage(fmt.Sprintf("P%08d", n.Add(1)), 1, 2, t0)); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportRate(b)
	})
}

// BenchmarkDueBeginSubmitted is the dispatcher's path for one part: list
// due parts, record the attempt in one commit per batch, then record each
// network id. ops/s counts parts.
func BenchmarkDueBeginSubmitted(b *testing.B) {
	db, _ := openTest(b)
	ctx := context.Background()
	const batch = 100
	for i := 0; i < b.N; i += batch {
		if err := db.Enqueue(ctx, testMessage(fmt.Sprintf("D%08d", i), 1, batch, t0)); err != nil {
			b.Fatal(err)
		}
	}
	now := t0.Add(time.Minute)
	b.ResetTimer()
	sent := 0
	for sent < b.N {
		due, err := db.Due(now, batch)
		if err != nil || len(due) == 0 {
			b.Fatalf("Due: %d %v", len(due), err)
		}
		keys := make([]PartKey, len(due))
		for i, d := range due {
			keys[i] = d.Key
		}
		if _, err := db.Begin(ctx, keys, "smpp", now); err != nil {
			b.Fatal(err)
		}
		submitAll(b, db, keys, now)
		sent += len(keys)
	}
	b.StopTimer()
	reportRate(b)
}

// submitAll records network ids concurrently, as a window of in-flight
// submits would.
func submitAll(b *testing.B, db *DB, keys []PartKey, now time.Time) {
	errs := make(chan error, len(keys))
	for _, k := range keys {
		go func() { errs <- db.Submitted(context.Background(), k, k.String(), now) }()
	}
	for range keys {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
}
