package bridge

import (
	"container/list"
	"time"

	"github.com/smsbridge/smsbridge/transport"
)

// Bounds of the receipts parked while their submit is not recorded: a
// network that sends receipts for ids never sent here must not grow the
// process without bound.
const (
	earlyMaxCount = 10_000
	earlyMaxBytes = 4 << 20
	// earlyOverhead is a parked receipt's memory besides its strings
	// (entry, list element, map slot), roughly.
	earlyOverhead = 200
)

// earlyReceipts is the bounded set of receipts that came before their
// submit was recorded, oldest first; the oldest leave first when it is
// full. Not safe for concurrent use.
type earlyReceipts struct {
	maxCount, maxBytes int
	byKey              map[string]*list.Element // of *earlyReceipt
	order              *list.List
	bytes              int
}

type earlyReceipt struct {
	key  string
	r    transport.Receipt
	at   time.Time
	size int
}

func newEarlyReceipts(maxCount, maxBytes int) *earlyReceipts {
	return &earlyReceipts{maxCount: maxCount, maxBytes: maxBytes, byKey: map[string]*list.Element{}, order: list.New()}
}

// park keeps r under key, replacing one parked under the same key, and
// returns the receipts pushed out to make room, oldest first.
func (e *earlyReceipts) park(key string, r transport.Receipt, at time.Time) (dropped []transport.Receipt) {
	e.take(key)
	er := &earlyReceipt{key: key, r: r, at: at,
		size: earlyOverhead + 2*len(key) + len(r.Transport) + len(r.MessageID) + len(r.ErrorCode)}
	e.byKey[key] = e.order.PushBack(er)
	e.bytes += er.size
	for e.order.Len() > e.maxCount || e.bytes > e.maxBytes {
		dropped = append(dropped, e.remove(e.order.Front()).r)
	}
	return dropped
}

// take removes and returns the receipt parked under key.
func (e *earlyReceipts) take(key string) (transport.Receipt, bool) {
	el, ok := e.byKey[key]
	if !ok {
		return transport.Receipt{}, false
	}
	return e.remove(el).r, true
}

// stale removes and returns the receipts parked before cut.
func (e *earlyReceipts) stale(cut time.Time) (old []transport.Receipt) {
	for el := e.order.Front(); el != nil && el.Value.(*earlyReceipt).at.Before(cut); el = e.order.Front() {
		old = append(old, e.remove(el).r)
	}
	return old
}

func (e *earlyReceipts) len() int { return e.order.Len() }

// all is every waiting receipt, oldest first.
func (e *earlyReceipts) all() []transport.Receipt {
	rs := make([]transport.Receipt, 0, e.order.Len())
	for el := e.order.Front(); el != nil; el = el.Next() {
		rs = append(rs, el.Value.(*earlyReceipt).r)
	}
	return rs
}

func (e *earlyReceipts) remove(el *list.Element) *earlyReceipt {
	er := e.order.Remove(el).(*earlyReceipt)
	delete(e.byKey, er.key)
	e.bytes -= er.size
	return er
}
