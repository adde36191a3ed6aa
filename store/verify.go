package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/bits"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// ErrDamaged: the queue file is not a sound bbolt file (truncated, pages
// overwritten, an empty file where a queue was). bbolt itself would panic
// or fault on some of these, so the file is walked first.
var ErrDamaged = errors.New("queue file damaged")

// DamagedError says which file is damaged and how.
type DamagedError struct {
	Path   string
	Reason string
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("store: %s: %s: %s (smsbridge store salvage copies what can be read)", e.Path, ErrDamaged, e.Reason)
}

func (e *DamagedError) Unwrap() error { return ErrDamaged }

// The bbolt file format (version 2), as the walk reads it: every page
// starts with a header; the two meta pages name the root bucket and the
// high-water mark; branch and leaf pages hold sorted elements; a bucket is
// a leaf value holding its root page, or its whole page inline.
const (
	boltMagic     = 0xED0CDAED
	boltVersion   = 2
	pageHeaderLen = 16 // id u64, flags u16, count u16, overflow u32
	elementLen    = 16 // branch: pos, ksize u32, pgid u64; leaf: flags, pos, ksize, vsize u32
	bucketHdrLen  = 16 // root pgid u64, sequence u64
	metaLen       = 64 // magic, version, page size, flags u32; root bucket; freelist, pgid, txid, checksum u64

	branchPage   = 0x01
	leafPage     = 0x02
	freelistPage = 0x10

	bucketLeafFlag = 0x01
	noFreelist     = ^uint64(0)
	maxDepth       = 64 // deeper than any real tree; a cycle otherwise
)

// native is how bbolt lays out integers: the machine's byte order.
var native = binary.NativeEndian

// boltMeta is a meta page as the walk needs it.
type boltMeta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	pgid     uint64 // high-water mark: pages [0, pgid) are in use or free
	txid     uint64
}

// fileWalker reads a bbolt file page by page, checking every bound before
// it is used.
type fileWalker struct {
	r    io.ReaderAt
	size int64
	meta boltMeta
	seen map[uint64]bool
	// visit, when set, is called for every key and value of every bucket
	// (path names the buckets, outermost first); a value of nil is a
	// bucket.
	visit func(path [][]byte, k, v []byte) error
	// lenient skips damaged subtrees instead of failing, counting them.
	lenient bool
	skipped []string
}

// checkFile walks the file at path and returns a *DamagedError for the
// first damage found; a file that does not exist is fine (Open creates it).
func checkFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	w, err := newFileWalker(f)
	if err == nil {
		err = w.walk()
	}
	return inFile(err, path)
}

// inFile names path in a *DamagedError.
func inFile(err error, path string) error {
	var dmg *DamagedError
	if errors.As(err, &dmg) {
		dmg.Path = path
	}
	return err
}

func damaged(format string, args ...any) error {
	return &DamagedError{Reason: fmt.Sprintf(format, args...)}
}

// newFileWalker reads the meta pages of the file: the valid one with the
// higher transaction id wins, as in bbolt.
func newFileWalker(f *os.File) (*fileWalker, error) {
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	size := info.Size()
	if size == 0 {
		return nil, damaged("the file is empty (a new queue starts when there is no file)")
	}
	m0, err0 := readMeta(f, 0, size)
	var m1 boltMeta
	err1 := err0
	// The second meta page follows the first; with the first unreadable,
	// try the common page sizes.
	for _, ps := range []int64{int64(m0.pageSize), 4096, int64(os.Getpagesize()), 16384, 65536} {
		if ps > 0 {
			if m1, err1 = readMeta(f, ps, size); err1 == nil {
				break
			}
		}
	}
	var m boltMeta
	switch {
	case err0 == nil && (err1 != nil || m0.txid >= m1.txid):
		m = m0
	case err1 == nil:
		m = m1
	default:
		return nil, damaged("no valid meta page (%v; %v)", err0, err1)
	}
	if m.pgid < 2 {
		return nil, damaged("the meta page counts %d pages", m.pgid)
	}
	return &fileWalker{r: f, size: size, meta: m, seen: map[uint64]bool{}}, nil
}

func readMeta(r io.ReaderAt, off, size int64) (boltMeta, error) {
	buf := make([]byte, pageHeaderLen+metaLen)
	if off+int64(len(buf)) > size {
		return boltMeta{}, fmt.Errorf("meta page at %d: past the end of the file", off)
	}
	if _, err := r.ReadAt(buf, off); err != nil {
		return boltMeta{}, fmt.Errorf("meta page at %d: %w", off, err)
	}
	// The page header's flags are not checked: bbolt takes a meta page by
	// its magic, version and checksum alone, and the walk must judge the
	// tree bbolt will use.
	b := buf[pageHeaderLen:]
	h := fnv.New64a()
	h.Write(b[:56])
	switch {
	case native.Uint32(b) != boltMagic:
		return boltMeta{}, fmt.Errorf("meta page at %d: not a bbolt file", off)
	case native.Uint32(b[4:]) != boltVersion:
		return boltMeta{}, fmt.Errorf("meta page at %d: version %d", off, native.Uint32(b[4:]))
	case native.Uint64(b[56:]) != h.Sum64():
		return boltMeta{}, fmt.Errorf("meta page at %d: bad checksum", off)
	}
	m := boltMeta{pageSize: native.Uint32(b[8:]), root: native.Uint64(b[16:]),
		freelist: native.Uint64(b[32:]), pgid: native.Uint64(b[40:]), txid: native.Uint64(b[48:])}
	if m.pageSize < 1024 || m.pageSize > 1<<20 || m.pageSize&(m.pageSize-1) != 0 {
		return boltMeta{}, fmt.Errorf("meta page at %d: page size %d", off, m.pageSize)
	}
	return m, nil
}

// walk checks the free list's page and every bucket from the root. A
// truncated file fails at once, unless lenient: then the pages that are
// left are read.
func (w *fileWalker) walk() error {
	if need := int64(w.meta.pageSize) * int64(w.meta.pgid); w.size < need && !w.lenient {
		return damaged("the file is truncated: it has %d bytes, its %d pages need %d", w.size, w.meta.pgid, need)
	}
	if fl := w.meta.freelist; fl != noFreelist {
		if _, err := w.page(fl, freelistPage); err != nil {
			return err
		}
	}
	return w.tree(nil, w.meta.root, 0, keyRange{})
}

// page reads page id (with its overflow pages) and checks its header.
func (w *fileWalker) page(id uint64, want uint16) ([]byte, error) {
	ps := int64(w.meta.pageSize)
	if id < 2 || id >= w.meta.pgid {
		return nil, damaged("page %d: outside the %d pages in use", id, w.meta.pgid)
	}
	hdr := make([]byte, pageHeaderLen)
	if _, err := w.r.ReadAt(hdr, int64(id)*ps); err != nil {
		return nil, damaged("page %d: %v", id, err)
	}
	if got := native.Uint64(hdr); got != id {
		return nil, damaged("page %d: its header says page %d", id, got)
	}
	flags := native.Uint16(hdr[8:])
	// bbolt asserts exactly one page type (its FastCheck panics otherwise).
	if bits.OnesCount16(flags) != 1 || flags&want == 0 {
		return nil, damaged("page %d: flags %#x where a %s page belongs", id, flags, pageKind(want))
	}
	overflow := uint64(native.Uint32(hdr[12:]))
	if id+overflow >= w.meta.pgid || int64(id+overflow+1)*ps > w.size {
		return nil, damaged("page %d: %d overflow pages run past the %d pages in use or the end of the file", id, overflow, w.meta.pgid)
	}
	buf := make([]byte, int64(overflow+1)*ps)
	if _, err := w.r.ReadAt(buf, int64(id)*ps); err != nil {
		return nil, damaged("page %d: %v", id, err)
	}
	return buf, nil
}

func pageKind(flags uint16) string {
	switch flags {
	case freelistPage:
		return "free-list"
	case leafPage:
		return "leaf"
	}
	return "branch or leaf"
}

// tree walks the bucket whose root page is id.
// keyRange bounds the keys of a subtree: lo <= key < hi, a nil end open.
// bbolt finds a key by the branch keys above it, so a key outside its
// range is one bbolt's own lookups miss (a nested bucket that ForEach
// lists but Bucket cannot open, which crashes bbolt's walk at open).
type keyRange struct{ lo, hi []byte }

func (r keyRange) holds(k []byte) bool {
	return (r.lo == nil || string(k) >= string(r.lo)) && (r.hi == nil || string(k) < string(r.hi))
}

func (w *fileWalker) tree(path [][]byte, id uint64, depth int, r keyRange) error {
	if depth > maxDepth {
		return damaged("page %d: the tree is deeper than %d (a cycle)", id, maxDepth)
	}
	if w.seen[id] {
		return damaged("page %d: reached twice", id)
	}
	w.seen[id] = true
	buf, err := w.page(id, branchPage|leafPage)
	if err != nil {
		return err
	}
	return w.node(path, id, buf, depth, r)
}

// node checks the elements of one branch or leaf page (buf, inline pages
// included) and walks on from them.
func (w *fileWalker) node(path [][]byte, id uint64, buf []byte, depth int, r keyRange) error {
	if len(buf) < pageHeaderLen {
		return damaged("page %d: %d bytes, shorter than a page header", id, len(buf))
	}
	flags, count := native.Uint16(buf[8:]), int(native.Uint16(buf[10:]))
	if flags == branchPage && count == 0 { // bbolt's lookups index its first element
		return damaged("page %d: a branch page with no elements", id)
	}
	if pageHeaderLen+count*elementLen > len(buf) {
		return damaged("page %d: %d elements do not fit in %d bytes", id, count, len(buf))
	}
	var prev []byte
	type entry struct {
		k, v      []byte
		child     uint64
		leafFlags uint32
	}
	entries := make([]entry, 0, count)
	for i := range count {
		el := pageHeaderLen + i*elementLen
		e := buf[el : el+elementLen]
		var k, v []byte
		var child uint64
		var leafFlags uint32
		switch {
		case flags == branchPage:
			kp, ks := el+int(native.Uint32(e)), int(native.Uint32(e[4:]))
			if kp < el || ks < 0 || kp+ks > len(buf) {
				return damaged("page %d: element %d points outside the page", id, i)
			}
			k, child = buf[kp:kp+ks], native.Uint64(e[8:])
		case flags == leafPage:
			leafFlags = native.Uint32(e)
			kp, ks, vs := el+int(native.Uint32(e[4:])), int(native.Uint32(e[8:])), int(native.Uint32(e[12:]))
			if kp < el || ks < 0 || vs < 0 || kp+ks+vs > len(buf) {
				return damaged("page %d: element %d points outside the page", id, i)
			}
			k, v = buf[kp:kp+ks], buf[kp+ks:kp+ks+vs]
		default:
			return damaged("page %d: flags %#x, neither branch nor leaf", id, flags)
		}
		if len(k) == 0 { // bbolt never stores one: its Put refuses it
			return damaged("page %d: element %d has an empty key", id, i)
		}
		if prev != nil && string(k) <= string(prev) {
			return damaged("page %d: keys out of order at element %d", id, i)
		}
		if !r.holds(k) {
			return damaged("page %d: element %d has a key outside the range its parent gives", id, i)
		}
		prev = k
		entries = append(entries, entry{k, v, child, leafFlags})
	}
	for i, e := range entries {
		// A branch's child i holds the keys from its key up to the next
		// child's key, as bbolt's own check wants them.
		cr := keyRange{lo: e.k, hi: r.hi}
		if i+1 < len(entries) {
			cr.hi = entries[i+1].k
		}
		if err := w.element(path, id, flags, e.leafFlags, e.k, e.v, e.child, depth, cr); err != nil {
			if !w.lenient || !errors.Is(err, ErrDamaged) {
				return err
			}
			w.skipped = append(w.skipped, err.(*DamagedError).Reason)
		}
	}
	return nil
}

// element walks on from one element: a branch's child page, a leaf's
// nested bucket, or a leaf's key and value.
func (w *fileWalker) element(path [][]byte, id uint64, flags uint16, leafFlags uint32, k, v []byte, child uint64, depth int, r keyRange) error {
	if flags&branchPage != 0 {
		return w.tree(path, child, depth+1, r)
	}
	if leafFlags&bucketLeafFlag == 0 {
		if w.visit != nil {
			return w.visit(path, k, v)
		}
		return nil
	}
	if len(v) < bucketHdrLen {
		return damaged("page %d: bucket %q: its header is %d bytes", id, k, len(v))
	}
	if w.visit != nil {
		if err := w.visit(path, k, nil); err != nil {
			return err
		}
	}
	inner := append(path[:len(path):len(path)], k)
	if root := native.Uint64(v); root != 0 {
		return w.tree(inner, root, depth+1, keyRange{})
	}
	inline := v[bucketHdrLen:]
	if len(inline) < pageHeaderLen || native.Uint16(inline[8:]) != leafPage {
		return damaged("page %d: bucket %q: its inline page is not a leaf", id, k)
	}
	return w.node(inner, id, inline, depth+1, keyRange{})
}

// boltOptions are how the queue file is opened for use.
func boltOptions(timeout time.Duration) *bolt.Options {
	return &bolt.Options{
		Timeout:      timeout,
		FreelistType: bolt.FreelistMapType, // faster page allocation once the file is big
		// The free list is rebuilt from the pages at open instead of being
		// written at every commit: one page and its encoding less per
		// group commit, as etcd runs bbolt.
		NoFreelistSync: true,
	}
}

// openChecked opens the file with bbolt and runs its consistency check; a
// panic of bbolt on a damaged file becomes a *DamagedError.
func openChecked(path string, timeout time.Duration) (bdb *bolt.DB, err error) {
	// bbolt's own check runs first, on a read-only handle. A read-write
	// open rebuilds the free list by walking every bucket in a goroutine of
	// bbolt's; on a tree bbolt finds damaged it panics in the opening
	// goroutine and tears the transaction down while that walk goes on,
	// which crashes the process out of any recover's reach.
	if err := checkReadOnly(path, timeout); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			if bdb != nil {
				_ = bdb.Close()
			}
			bdb, err = nil, &DamagedError{Path: path, Reason: fmt.Sprint(r)}
		}
	}()
	bdb, err = bolt.Open(path, 0o600, boltOptions(timeout))
	if err != nil {
		return nil, openError(path, err)
	}
	return bdb, nil
}

// checkReadOnly opens path read-only (no free-list walk) and runs bbolt's
// consistency check on it.
func checkReadOnly(path string, timeout time.Duration) (err error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil // a new queue: the read-write open creates it
	}
	opt := boltOptions(timeout)
	opt.ReadOnly = true
	var bdb *bolt.DB
	defer func() {
		if r := recover(); r != nil {
			err = &DamagedError{Path: path, Reason: fmt.Sprint(r)}
		}
		if bdb != nil {
			_ = bdb.Close()
		}
	}()
	if bdb, err = bolt.Open(path, 0o400, opt); err != nil {
		return openError(path, err)
	}
	if reason := consistency(bdb); reason != "" {
		return &DamagedError{Path: path, Reason: reason}
	}
	return nil
}

func openError(path string, err error) error {
	if errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrChecksum) || errors.Is(err, berrors.ErrVersionMismatch) {
		return &DamagedError{Path: path, Reason: err.Error()}
	}
	return fmt.Errorf("store: open %s: %w", path, err)
}

// consistency runs bbolt's check and returns its first finding and how
// many there were; "" for none.
func consistency(bdb *bolt.DB) string {
	var errs []error
	_ = bdb.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return nil
	})
	switch len(errs) {
	case 0:
		return ""
	case 1:
		return errs[0].Error()
	}
	return fmt.Sprintf("%v (and %d more)", errs[0], len(errs)-1)
}
