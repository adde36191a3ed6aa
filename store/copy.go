package store

import (
	"context"
	"errors"
	"fmt"
)

// Exporter is a store a copy reads: it gives every record it holds, from
// one consistent snapshot (see DB.Export).
type Exporter interface {
	Export(ctx context.Context, fn func(Record) error) error
}

// Importer is a store a copy writes: it keeps one record with every index
// the record implies, and answers an error wrapping ErrExists, writing
// nothing, for a record whose key it holds already (see DB.Import).
type Importer interface {
	Import(ctx context.Context, r Record) error
}

// CopyCounts is what a copy did, by record kind (Record.Kind).
type CopyCounts struct {
	Imported map[string]int // written to the target
	Existing map[string]int // held by the target already, left as they were
}

// Records is how many records the copy read, by kind.
func (c CopyCounts) Records(kind string) int { return c.Imported[kind] + c.Existing[kind] }

// Copy imports every record of from into to. It can be run again:
// what the target holds already is counted in Existing and left alone, so
// a second copy of an unchanged source imports nothing. On an error the
// records already imported stay imported.
func Copy(ctx context.Context, from Exporter, to Importer) (CopyCounts, error) {
	c := CopyCounts{Imported: map[string]int{}, Existing: map[string]int{}}
	err := from.Export(ctx, func(r Record) error {
		kind, err := r.Kind()
		if err != nil {
			return err
		}
		switch err := to.Import(ctx, r); {
		case errors.Is(err, ErrExists):
			c.Existing[kind]++
		case err != nil:
			return err
		default:
			c.Imported[kind]++
		}
		return nil
	})
	if err != nil {
		return c, fmt.Errorf("store: copy: %w", err)
	}
	return c, nil
}
