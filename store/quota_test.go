package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestQuotaFreshFile(t *testing.T) {
	db, _ := openTest(t)
	d, m, err := db.QuotaGet(context.Background(), "sim", time.Now())
	if err != nil || d != 0 || m != 0 {
		t.Fatalf("QuotaGet on a file without counts = %d, %d, %v", d, m, err)
	}
}

func TestQuotaInvalid(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	long := string(make([]byte, 256))
	for _, c := range []struct {
		sim string
		n   int
	}{{"", 1}, {long, 1}, {"sim", -1}} {
		if _, _, err := db.QuotaAdd(ctx, c.sim, time.Now(), c.n); !errors.Is(err, ErrInvalid) {
			t.Errorf("QuotaAdd(%q, %d) err = %v, want ErrInvalid", c.sim[:min(len(c.sim), 8)], c.n, err)
		}
	}
	if _, _, err := db.QuotaGet(ctx, "", time.Now()); !errors.Is(err, ErrInvalid) {
		t.Errorf("QuotaGet(\"\") err = %v", err)
	}
}

func TestQuotaConcurrent(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	day := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	const writers, each = 8, 25
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for range each {
				if _, _, err := db.QuotaAdd(ctx, "sim", day, 1); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if d, m, _ := db.QuotaGet(ctx, "sim", day); d != writers*each || m != writers*each {
		t.Fatalf("counts %d, %d; want %d", d, m, writers*each)
	}
}

func TestQuotaPrunesOldCounts(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	start := time.Date(2024, 1, 15, 12, 0, 0, 0, time.UTC)
	for i := range 30 {
		if _, _, err := db.QuotaAdd(ctx, "sim", start.AddDate(0, i, 0), 1); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := db.QuotaAdd(ctx, "other", start, 1); err != nil {
		t.Fatal(err)
	}
	var days, months int
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bktQuota).ForEach(func(k, _ []byte) error {
			if string(k[1:1+int(k[0])]) != "sim" {
				return nil
			}
			switch k[1+int(k[0])] {
			case 'D':
				days++
			case 'M':
				months++
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	// One day a month: only those within 62 days stay; months within 24.
	if days > 3 || months > 25 || months < 24 {
		t.Fatalf("kept %d day and %d month counts", days, months)
	}
	if d, _, _ := db.QuotaGet(ctx, "other", start); d != 1 {
		t.Fatalf("another SIM's count was pruned: %d", d)
	}
}
