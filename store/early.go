package store

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ParkedReceipt is a delivery receipt that came before its submit was
// recorded, kept until that submit is: it has been acknowledged to the
// network, so only the store remembers it across a crash.
type ParkedReceipt struct {
	Transport string
	ID        string // the network's id of the part
	State     uint8  // as the transport reports it (transport.ReceiptState)
	ErrorCode string
	Done      time.Time // when the network says it ended
	Parked    time.Time
}

func (r *ParkedReceipt) key() []byte { return tidKey(r.Transport, r.ID) }

func encodeParked(r *ParkedReceipt) []byte {
	e := encoder{b: make([]byte, 0, 24+len(r.ErrorCode))}
	e.u8(recordV1)
	e.u8(r.State)
	e.str(r.ErrorCode)
	e.time(r.Done)
	e.time(r.Parked)
	return e.b
}

func decodeParked(k, v []byte) (ParkedReceipt, error) {
	transport, id, ok := bytes.Cut(k, []byte{0})
	if !ok {
		return ParkedReceipt{}, fmt.Errorf("%w: parked receipt key %q", ErrCorrupt, k)
	}
	d := decoder{b: v}
	r := ParkedReceipt{Transport: string(transport), ID: string(id)}
	d.version("parked receipt")
	r.State = d.u8("receipt state")
	r.ErrorCode = d.str("error code")
	r.Done = d.time("done")
	r.Parked = d.time("parked")
	return r, d.done("parked receipt")
}

// ParkReceipt keeps r, replacing one parked for the same id, and in the
// same commit forgets drop (receipts given up to stay within bounds).
func (db *DB) ParkReceipt(ctx context.Context, r ParkedReceipt, drop []ParkedReceipt) error {
	if err := validTransport(r.Transport); err != nil || r.ID == "" {
		return fmt.Errorf("store: park receipt: %w: transport %q id %q", ErrInvalid, r.Transport, r.ID)
	}
	k, v := r.key(), encodeParked(&r)
	err := db.do(ctx, "park-receipt", len(k)+len(v)+32*len(drop), func(w *wtx) error {
		if err := w.unpark(k); err != nil {
			return err
		}
		for i := range drop {
			if err := w.unpark(drop[i].key()); err != nil {
				return err
			}
		}
		if err := w.put(bktEarly, k, v); err != nil {
			return err
		}
		return w.put(bktEarlyAt, timedKey(r.Parked, k), []byte{})
	})
	if err != nil {
		return fmt.Errorf("store: park receipt: %w", err)
	}
	return nil
}

// UnparkReceipts forgets parked receipts: applied, or given up.
func (db *DB) UnparkReceipts(ctx context.Context, rs []ParkedReceipt) error {
	if len(rs) == 0 {
		return nil
	}
	err := db.do(ctx, "unpark-receipts", 32*len(rs), func(w *wtx) error {
		for i := range rs {
			if err := w.unpark(rs[i].key()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: unpark receipts: %w", err)
	}
	return nil
}

// unpark removes the receipt parked under k and its time index entry; a
// damaged one goes too.
func (w *wtx) unpark(k []byte) error {
	v := w.get(bktEarly, k)
	if v == nil {
		return nil
	}
	if r, err := decodeParked(k, v); err == nil {
		if err := w.del(bktEarlyAt, timedKey(r.Parked, k)); err != nil {
			return err
		}
	}
	return w.del(bktEarly, k)
}

// ParkedReceipts lists every parked receipt, oldest first. Damaged ones
// are skipped (and logged): they can only be dropped.
func (db *DB) ParkedReceipts() ([]ParkedReceipt, error) {
	var out []ParkedReceipt
	err := db.view(func(tx *bolt.Tx) error {
		early := tx.Bucket(bktEarly)
		c := tx.Bucket(bktEarlyAt).Cursor()
		for tk, _ := c.First(); tk != nil; tk, _ = c.Next() {
			if len(tk) < 8 {
				continue
			}
			k := tk[8:]
			r, err := decodeParked(k, early.Get(k))
			if err != nil {
				db.log.Warn("parked receipt does not decode; dropped", "key", fmt.Sprintf("%q", k), "err", err)
				continue
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: parked receipts: %w", err)
	}
	return out, nil
}
