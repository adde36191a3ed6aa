package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/smsbridge/smsbridge/store"
)

const storeCopySynopsis = "copy -from SPEC -to SPEC   (SPEC: bbolt:PATH or nats:URL)"

// copyStore is one side of `store copy`: what the copy reads or writes,
// and what it compares on both sides once it is done.
type copyStore interface {
	store.Exporter
	store.Importer
	Stats() (map[store.PartState]int, error)
	DueMail(now time.Time, limit int) ([]store.OutMail, error)
	ParkedReceipts() ([]store.ParkedReceipt, error)
	Close() error
}

// copyBackends open a store by the scheme of its SPEC, given what follows
// the colon; source says whether the copy reads it (it must exist then).
// A backend built in adds its opener here.
var copyBackends = map[string]func(ctx context.Context, location string, source bool) (copyStore, error){
	"bbolt": openBboltCopy,
}

// openCopyStore opens the store spec names.
func openCopyStore(ctx context.Context, spec string, source bool) (copyStore, error) {
	scheme, location, ok := strings.Cut(spec, ":")
	open, known := copyBackends[scheme]
	switch {
	case !ok || location == "":
		return nil, usageError{fmt.Errorf("store %q: want bbolt:PATH or nats:URL", spec)}
	case !known && scheme == "nats":
		return nil, usageError{fmt.Errorf("store %q: nats backend not built into this copy yet", spec)}
	case !known:
		return nil, usageError{fmt.Errorf("store %q: unknown backend %q; want bbolt:PATH or nats:URL", spec, scheme)}
	}
	return open(ctx, location, source)
}

// openBboltCopy opens a queue file that no smsbridge holds: bbolt's lock
// keeps a second process out, so a file in use fails at once.
func openBboltCopy(_ context.Context, path string, source bool) (copyStore, error) {
	if source {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("source queue file: %w", err)
		}
	}
	db, err := store.Open(path, store.Options{Timeout: lockWait, Logger: quietLogger()})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("queue file %s is in use (bbolt locks it while a process has it open): stop the smsbridge that holds it, then copy: %w", path, err)
	}
	return db, err
}

// storeCopy moves every record of one store into another, then checks
// that both hold the same.
func storeCopy(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("store", storeCopySynopsis, stderr)
	from := fs.String("from", "", "the store to copy: bbolt:PATH or nats:URL")
	to := fs.String("to", "", "the store to copy into: bbolt:PATH (created when missing) or nats:URL")
	flagsUsage := fs.Usage
	fs.Usage = func() {
		flagsUsage()
		fmt.Fprint(fs.Output(), `
Copies every message (parts in their states), outbox mail, parked receipt,
conversation, opt-out, the policy counters, SIM counts, segments, watches and
callbacks, then checks that both sides hold the same part counts, outbox and
parked receipts. Stop smsbridge serve first: a queue file in use is refused.
What the target holds already is left as it is: a second run copies nothing.
`)
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *from == "" || *to == "" || fs.NArg() != 0 {
		return usageError{errors.New("usage: smsbridge store " + storeCopySynopsis)}
	}
	if sameBboltFile(*from, *to) {
		return usageError{fmt.Errorf("-from %s and -to %s are the same file", *from, *to)}
	}
	ctx := context.Background()
	src, err := openCopyStore(ctx, *from, true)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := openCopyStore(ctx, *to, false)
	if err != nil {
		return err
	}
	defer dst.Close()

	start := time.Now()
	counts, err := store.Copy(ctx, src, dst)
	if err != nil {
		return fmt.Errorf("copy from %s to %s: %w (what was copied stays; run the copy again once the cause is fixed)", *from, *to, err)
	}
	took := time.Since(start)
	check, err := compareCopy(src, dst, counts)
	if err != nil {
		return fmt.Errorf("copy from %s to %s: %w", *from, *to, err)
	}
	if err := dst.Close(); err != nil {
		return fmt.Errorf("copy into %s: %w", *to, err)
	}
	fmt.Fprintf(stdout, "copied %s to %s in %v\n", *from, *to, took.Round(time.Millisecond))
	for _, kind := range store.RecordKinds {
		fmt.Fprintf(stdout, "  %-16s %7d copied, %7d there already\n", kind, counts.Imported[kind], counts.Existing[kind])
	}
	fmt.Fprintf(stdout, "checked: %s\n", check)
	return nil
}

// sameBboltFile reports whether both specs name one queue file.
func sameBboltFile(a, b string) bool {
	pa, oka := strings.CutPrefix(a, "bbolt:")
	pb, okb := strings.CutPrefix(b, "bbolt:")
	if !oka || !okb {
		return false
	}
	fa, erra := filepath.Abs(pa)
	fb, errb := filepath.Abs(pb)
	if erra != nil || errb != nil {
		return pa == pb
	}
	if fa == fb {
		return true
	}
	sa, erra := os.Stat(fa)
	sb, errb := os.Stat(fb)
	return erra == nil && errb == nil && os.SameFile(sa, sb)
}

// farFuture is after every mail's next attempt.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// compareCopy checks that src and dst hold the same parts in the same
// states, and the same outbox mail and parked receipts, and says what it
// compared.
func compareCopy(src, dst copyStore, counts store.CopyCounts) (string, error) {
	ss, err := src.Stats()
	if err != nil {
		return "", fmt.Errorf("source: %w", err)
	}
	ds, err := dst.Stats()
	if err != nil {
		return "", fmt.Errorf("target: %w", err)
	}
	if !maps.Equal(ss, ds) {
		return "", fmt.Errorf("the target's part counts %s differ from the source's %s", statsLine(ds), statsLine(ss))
	}
	limit := counts.Records(store.KindMail) + 1 // one more shows a target with more
	mails := make([][]string, 2)
	parked := make([][]string, 2)
	for i, st := range []copyStore{src, dst} {
		ms, err := st.DueMail(farFuture, limit)
		if err != nil {
			return "", err
		}
		for _, m := range ms {
			mails[i] = append(mails[i], m.ID)
		}
		ps, err := st.ParkedReceipts()
		if err != nil {
			return "", err
		}
		for _, p := range ps {
			parked[i] = append(parked[i], p.Transport+"/"+p.ID)
		}
		slices.Sort(mails[i])
		slices.Sort(parked[i])
	}
	if !slices.Equal(mails[0], mails[1]) {
		return "", fmt.Errorf("the target's outbox %v differs from the source's %v", mails[1], mails[0])
	}
	if !slices.Equal(parked[0], parked[1]) {
		return "", fmt.Errorf("the target's parked receipts %v differ from the source's %v", parked[1], parked[0])
	}
	return fmt.Sprintf("the same parts by state on both sides (%s), %d outbox mails and %d parked receipts with the same ids",
		statsLine(ss), len(mails[0]), len(parked[0])), nil
}

func statsLine(s map[store.PartState]int) string {
	var b strings.Builder
	for st := store.PartQueued; st <= store.PartCancelled; st++ {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s %d", st, s[st])
	}
	return b.String()
}
