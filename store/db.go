// Package store is the durable queue of smsbridge: messages, their
// recipients and SMS parts, each part's delivery state, and the indexes the
// dispatcher and the receipt path need. It is built on bbolt; every change
// goes through one committer goroutine that groups concurrent changes into
// a single fsynced transaction.
package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	// ErrNotFound: no such message, recipient or part.
	ErrNotFound = errors.New("store: not found")
	// ErrClosed: the DB has been closed.
	ErrClosed = errors.New("store: closed")
	// ErrExists: Enqueue with a message id already stored.
	ErrExists = errors.New("store: message id exists")
	// ErrState: the change is not allowed from the part's current state.
	ErrState = errors.New("store: invalid state transition")
	// ErrInvalid: an argument the store cannot keep (empty id, no parts, …).
	ErrInvalid = errors.New("store: invalid argument")
	// ErrCorrupt: a stored record or key does not decode.
	ErrCorrupt = errors.New("store: corrupt record")
)

// Bucket names; see keys.go for the key layout.
var (
	bktMsg        = []byte("msg")        // msgKey → msgRecord
	bktRcpt       = []byte("rcpt")       // rcptKey → rcptRecord
	bktPart       = []byte("part")       // partKey → Part
	bktDue        = []byte("dueclass")   // class rank + NextAttempt + partKey, queued parts (see dueKey)
	bktSubmitting = []byte("submitting") // partKey, parts whose attempt is in doubt
	bktTID        = []byte("tid")        // transport 0x00 transport id → partKey
	bktOverdue    = []byte("overdue")    // Expires + partKey, submitted parts
	bktUnreported = []byte("unreported") // rcptKey, final and not reported
	bktOpen       = []byte("open")       // msgKey → uvarint recipients not final+reported
	bktPurgeable  = []byte("purgeable")  // Received + msgKey, all final and reported
	bktStats      = []byte("stats")      // state byte → uint64 part count
	bktCorrupt    = []byte("corrupt")    // partKey → reason, taken out of the queue
	bktOriginal   = []byte("original")   // msgKey → the whole mail, kept for RET=FULL
	bktDelay      = []byte("delay")      // Received + rcptKey, waiting for a delay notice
	bktOutbox     = []byte("outbox")     // mail id → OutMail, mail waiting to be sent
	bktOutDue     = []byte("outdue")     // NextAttempt + mail id
	bktConv       = []byte("conv")       // E.164 number → Conversation
	bktOptOut     = []byte("optout")     // E.164 number → time it opted out
	bktPolicy     = []byte("policy")     // "daily" → the sender policy's counters
	bktEarly      = []byte("early")      // transport 0x00 transport id → ParkedReceipt
	bktEarlyAt    = []byte("earlyat")    // Parked + transport 0x00 transport id
	bktWatch      = []byte("watch")      // msgKey → Watch, messages an integration follows
	bktCallback   = []byte("callback")   // callback id → Callback
	bktCallDue    = []byte("calldue")    // NextAttempt + callback id
)

var allBuckets = [][]byte{bktMsg, bktRcpt, bktPart, bktDue, bktSubmitting, bktTID,
	bktOverdue, bktUnreported, bktOpen, bktPurgeable, bktStats, bktCorrupt,
	bktOriginal, bktDelay, bktOutbox, bktOutDue, bktConv, bktOptOut, bktPolicy,
	bktEarly, bktEarlyAt, bktCampaign, bktWatch, bktCallback, bktCallDue, bktSegSet, bktSegAt}

// Options tune Open.
type Options struct {
	Timeout time.Duration // waiting for the file lock; default 5s
	Logger  *slog.Logger  // default slog.Default()
}

// DB is an open queue file. Its methods are safe for concurrent use.
type DB struct {
	bolt *bolt.DB
	log  *slog.Logger

	ops  chan *op      // to the committer
	quit chan struct{} // closed by Close once no sender remains
	done chan struct{} // closed by the committer when it has drained ops

	mu     sync.RWMutex // held for reading while sending to ops
	closed bool

	health writeHealth // set by the committer
}

// Open opens or creates the queue file at path, creating its directory
// (0700) and the file (0600). Another process holding the file makes Open
// fail after opt.Timeout.
func Open(path string, opt Options) (*DB, error) {
	if opt.Timeout <= 0 {
		opt.Timeout = 5 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	// A damaged file makes bbolt panic or fault: walk it first.
	if err := checkFile(path); err != nil {
		return nil, err
	}
	if err := compactIfSparse(path, opt.Timeout, opt.Logger); err != nil {
		// A file that cannot be compacted is still a good queue.
		opt.Logger.Warn("queue file not compacted", "path", path, "err", err)
	}
	bdb, err := openChecked(path, opt.Timeout)
	if err != nil {
		return nil, err
	}
	var migrated int
	err = bdb.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("bucket %s: %w", name, err)
			}
		}
		var err error
		migrated, err = migrateDueIndex(tx)
		return err
	})
	if err != nil {
		_ = bdb.Close()
		return nil, fmt.Errorf("store: init %s: %w", path, err)
	}
	db := &DB{
		bolt: bdb,
		log:  opt.Logger.With("component", "store"),
		ops:  make(chan *op, maxBatchOps),
		quit: make(chan struct{}),
		done: make(chan struct{}),
	}
	if migrated > 0 {
		db.log.Info("due index moved to the class-ordered layout", "parts", migrated)
	}
	go db.committer()
	return db, nil
}

// Close stops accepting changes, waits until every change already sent has
// been committed and answered, then closes the file. Closing twice is a
// no-op.
func (db *DB) Close() error {
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return nil
	}
	db.closed = true
	db.mu.Unlock()
	close(db.quit)
	<-db.done
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// view runs a read transaction, mapping a closed database to ErrClosed.
func (db *DB) view(fn func(tx *bolt.Tx) error) error {
	db.mu.RLock()
	closed := db.closed
	db.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	err := db.bolt.View(fn)
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}
