package store_test

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/store/storetest"
)

var (
	_ store.Exporter = (*store.DB)(nil)
	_ store.Importer = (*store.DB)(nil)
)

// TestCopy copies a queue from one bbolt file to another.
func TestCopy(t *testing.T) {
	fresh := func(t *testing.T) storetest.Open {
		path := filepath.Join(t.TempDir(), "queue.db")
		return func() (storetest.Backend, error) {
			return store.Open(path, store.Options{Timeout: time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		}
	}
	storetest.RunCopy(t, fresh, fresh)
}
