package store

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// exportWalk reads one kind of record out of a read transaction.
type exportWalk struct {
	kind  string
	reads [][]byte // the buckets it takes its records from
	walk  func(tx *bolt.Tx, fn func(Record) error) error
}

// exportWalks are what Export reads, in RecordKinds order.
var exportWalks = []exportWalk{
	{KindMessage, [][]byte{bktMsg, bktRcpt, bktPart, bktOriginal, bktDelay}, exportMessages},
	{KindMail, [][]byte{bktOutbox}, exportMail},
	{KindParked, [][]byte{bktEarly}, exportParked},
	{KindConversation, [][]byte{bktConv}, exportConversations},
	{KindOptOut, [][]byte{bktOptOut}, exportOptOuts},
	{KindPolicyCounters, [][]byte{bktPolicy}, exportPolicyCounters},
	{KindQuota, [][]byte{bktQuota}, exportQuotas},
	{KindSegments, [][]byte{bktSegSet}, exportSegments},
	{KindWatch, [][]byte{bktWatch}, exportWatches},
	{KindCallback, [][]byte{bktCallback}, exportCallbacks},
}

// notExported are the buckets Export leaves out, and why: indexes and
// counts that Import rebuilds from the records, and the quarantine.
var notExported = map[string]string{
	string(bktDue):        "the due index: Import files each queued part by class and next attempt",
	string(bktSubmitting): "Import files each submitting part, for Recover",
	string(bktTID):        "Import indexes each submitted part's transport id and late id",
	string(bktOverdue):    "Import files each submitted part by its message's expiry",
	string(bktUnreported): "Import lists each recipient final and not reported",
	string(bktOpen):       "Import counts each message's recipients not final and reported",
	string(bktPurgeable):  "Import lists each message whose recipients are all final and reported",
	string(bktStats):      "Import counts each part in its state",
	string(bktCampaign):   "Import lists each message with a campaign pace",
	string(bktOutDue):     "Import files each mail by its next attempt",
	string(bktEarlyAt):    "Import files each parked receipt by when it was parked",
	string(bktCallDue):    "Import files each callback by its next attempt",
	string(bktSegAt):      "Import files each segment set by its first segment",
	string(bktCorrupt): "the keys of parts taken out of the queue because they could not be read: " +
		"there is nothing to copy, and a message with such a part fails the export",
}

// Export calls fn with every record the queue holds, one kind after the
// other in RecordKinds order, all from one read transaction: a consistent
// snapshot, even while the gateway writes. The records share no memory
// with the DB. fn must not wait for a write to this DB (bbolt may have to
// wait for the read to end). A record that does not decode ends the export
// with an error wrapping ErrCorrupt: a copy carries everything or nothing.
// The quarantine of parts that could not be read is not exported.
func (db *DB) Export(ctx context.Context, fn func(Record) error) error {
	err := db.view(func(tx *bolt.Tx) error {
		for _, x := range exportWalks {
			err := x.walk(tx, func(r Record) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				return fn(r)
			})
			if err != nil {
				return fmt.Errorf("%s: %w", x.kind, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	return nil
}

func exportMessages(tx *bolt.Tx, fn func(Record) error) error {
	original, delay := tx.Bucket(bktOriginal), tx.Bucket(bktDelay)
	return tx.Bucket(bktMsg).ForEach(func(k, _ []byte) error {
		if len(k) < 2 || int(k[0]) != len(k)-1 {
			return fmt.Errorf("%w: message key %x", ErrCorrupt, k)
		}
		m, err := readMessage(tx, string(k[1:]))
		if err != nil {
			return err
		}
		m.Original = bytes.Clone(original.Get(k))
		r := Record{Message: m}
		for i := range m.Recipients {
			if delay.Get(timedKey(m.Received, rcptKeyBytes(RcptKey{m.ID, i}))) != nil {
				r.DelayWatch = append(r.DelayWatch, i)
			}
		}
		return fn(r)
	})
}

func exportMail(tx *bolt.Tx, fn func(Record) error) error {
	return tx.Bucket(bktOutbox).ForEach(func(k, v []byte) error {
		m, err := decodeOutMail(v)
		if err != nil {
			return fmt.Errorf("mail %q: %w", k, err)
		}
		m.ID = string(k)
		return fn(Record{Mail: &m})
	})
}

func exportParked(tx *bolt.Tx, fn func(Record) error) error {
	return tx.Bucket(bktEarly).ForEach(func(k, v []byte) error {
		r, err := decodeParked(k, v)
		if err != nil {
			return err
		}
		return fn(Record{Parked: &r})
	})
}

func exportConversations(tx *bolt.Tx, fn func(Record) error) error {
	return tx.Bucket(bktConv).ForEach(func(k, v []byte) error {
		c, err := decodeConv(v)
		if err != nil {
			return fmt.Errorf("conversation %q: %w", k, err)
		}
		return fn(Record{Conversation: &NumberConversation{Number: string(k), Conversation: c}})
	})
}

func exportOptOuts(tx *bolt.Tx, fn func(Record) error) error {
	return tx.Bucket(bktOptOut).ForEach(func(k, v []byte) error {
		if len(v) != timeKeyLen {
			return fmt.Errorf("%w: opt-out record of %q: %x", ErrCorrupt, k, v)
		}
		return fn(Record{OptOut: &OptOutEntry{Number: string(k), Since: timeFromKey(v)}})
	})
}

func exportPolicyCounters(tx *bolt.Tx, fn func(Record) error) error {
	return tx.Bucket(bktPolicy).ForEach(func(k, v []byte) error {
		if !bytes.Equal(k, keyDaily) {
			return fmt.Errorf("%w: policy key %q", ErrCorrupt, k)
		}
		if len(v) == 0 {
			return nil // as good as none: PolicyCounters gives nothing to load
		}
		return fn(Record{PolicyCounters: bytes.Clone(v)})
	})
}

func exportQuotas(tx *bolt.Tx, fn func(Record) error) error {
	b := tx.Bucket(bktQuota)
	if b == nil { // no SIM has counted yet
		return nil
	}
	return b.ForEach(func(k, v []byte) error {
		q, err := parseQuotaKey(k)
		if err != nil {
			return err
		}
		q.Count = readCount(v) // what QuotaGet answers, a damaged count included
		return fn(Record{Quota: &q})
	})
}

// parseQuotaKey reads a quotaKey.
func parseQuotaKey(k []byte) (QuotaCount, error) {
	if len(k) < 2 || len(k) < 2+int(k[0]) {
		return QuotaCount{}, fmt.Errorf("%w: quota key %x", ErrCorrupt, k)
	}
	n := int(k[0])
	q := QuotaCount{SIM: string(k[1 : 1+n]), Period: string(k[2+n:])}
	switch k[1+n] {
	case 'D':
	case 'M':
		q.Month = true
	default:
		return QuotaCount{}, fmt.Errorf("%w: quota key %x", ErrCorrupt, k)
	}
	return q, nil
}

func exportSegments(tx *bolt.Tx, fn func(Record) error) error {
	return tx.Bucket(bktSegSet).ForEach(func(k, v []byte) error {
		r, err := decodeSegRecord(v)
		if err != nil {
			return fmt.Errorf("segment set %q: %w", k, err)
		}
		return fn(Record{Segments: &SegmentsCopy{SegmentSet: r.set(string(k)), Digests: r.digests}})
	})
}

func exportWatches(tx *bolt.Tx, fn func(Record) error) error {
	return tx.Bucket(bktWatch).ForEach(func(k, v []byte) error {
		if len(k) < 2 || int(k[0]) != len(k)-1 {
			return fmt.Errorf("%w: watch key %x", ErrCorrupt, k)
		}
		w, err := decodeWatch(v)
		if err != nil {
			return fmt.Errorf("watch %q: %w", k[1:], err)
		}
		w.Msg = string(k[1:])
		return fn(Record{Watch: &w})
	})
}

func exportCallbacks(tx *bolt.Tx, fn func(Record) error) error {
	return tx.Bucket(bktCallback).ForEach(func(k, v []byte) error {
		c, err := decodeCallback(v)
		if err != nil {
			return fmt.Errorf("callback %q: %w", k, err)
		}
		c.ID = string(k)
		return fn(Record{Callback: &c})
	})
}
