package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Exporter is a store a copy reads: it gives every record it holds, from
// one consistent snapshot (see DB.Export).
type Exporter interface {
	Export(ctx context.Context, fn func(Record) error) error
}

// Importer is a store a copy writes: it keeps one record with every index
// the record implies, and answers an error wrapping ErrExists, writing
// nothing, for a record whose key it holds already (see DB.Import). Copy
// calls Import from several goroutines at once and in no set order: a
// record must not need another (a watch its message) imported before it.
type Importer interface {
	Import(ctx context.Context, r Record) error
}

// CopyCounts is what a copy did, by record kind (Record.Kind).
type CopyCounts struct {
	Imported map[string]int // written to the target
	Existing map[string]int // held by the target already, left as they were
}

// Records is how many records of kind the copy read.
func (c CopyCounts) Records(kind string) int { return c.Imported[kind] + c.Existing[kind] }

// copyWorkers is how many imports a copy keeps under way: a store that
// groups concurrent changes into one commit (bbolt's committer) then
// writes many records per fsync.
const copyWorkers = 128

// Copy imports every record of from into to. It can be run again: what
// the target holds already is counted in Existing and left alone, so a
// second copy of an unchanged source imports nothing. The first error
// stops the copy; the records imported by then stay imported.
func Copy(ctx context.Context, from Exporter, to Importer) (CopyCounts, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	c := CopyCounts{Imported: map[string]int{}, Existing: map[string]int{}}
	type job struct {
		kind string
		r    Record
	}
	jobs := make(chan job)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range copyWorkers {
		wg.Go(func() {
			for j := range jobs {
				err := to.Import(ctx, j.r)
				mu.Lock()
				switch {
				case errors.Is(err, ErrExists):
					c.Existing[j.kind]++
				case err != nil:
					cancel(err)
				default:
					c.Imported[j.kind]++
				}
				mu.Unlock()
			}
		})
	}
	err := from.Export(ctx, func(r Record) error {
		kind, err := r.Kind()
		if err != nil {
			return err
		}
		select {
		case jobs <- job{kind, r}:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	})
	close(jobs)
	wg.Wait()
	if cause := context.Cause(ctx); cause != nil {
		err = cause // an import's error, which also ended the export
	}
	if err != nil {
		return c, fmt.Errorf("store: copy: %w", err)
	}
	return c, nil
}
