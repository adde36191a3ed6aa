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

var _ storetest.Backend = (*store.DB)(nil)

// TestConformance runs the backend-neutral suite against bbolt: each test
// its own file, reopened from disk.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Open {
		path := filepath.Join(t.TempDir(), "queue.db")
		return func() (storetest.Backend, error) {
			return store.Open(path, store.Options{Timeout: time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		}
	})
}
