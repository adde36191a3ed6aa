package store

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A file is rewritten at Open when it is at least compactMinSize and more
// than half of it is free pages: bbolt reuses freed pages but never gives
// them back, so after a large backlog was sent and purged the file would
// stay at its peak size.
var compactMinSize int64 = 32 << 20

// compactIfSparse rewrites the queue file without its free pages when that
// pays. It runs before the queue opens for use, so nothing else holds it.
func compactIfSparse(path string, timeout time.Duration, log *slog.Logger) error {
	info, err := os.Stat(path)
	if err != nil || info.Size() < compactMinSize {
		return nil // a new file, or too small to bother
	}
	src, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout}) // read-write: a read-only open loads no freelist
	if err != nil {
		return err
	}
	free := int64(src.Stats().FreePageN) * int64(src.Info().PageSize)
	if free*2 < info.Size() {
		return src.Close()
	}
	tmp := path + ".compact"
	os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: timeout})
	if err != nil {
		src.Close()
		return err
	}
	start := time.Now()
	err = bolt.Compact(dst, src, 64<<20)
	src.Close()
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("compacting %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("compacting %s: %w", path, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return err
	}
	after, _ := os.Stat(path)
	log.Info("queue file compacted", "path", path, "before_bytes", info.Size(), "after_bytes", after.Size(), "took", time.Since(start))
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
