package natsstore

import (
	"cmp"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

// view is the bucket as this process knows it: every record decoded, fed
// by the watcher and by this process's own writes, with the indexes bbolt
// keeps in buckets. Each key's revision orders the two feeds: whatever is
// older than what the view holds is ignored.
type view struct {
	log *slog.Logger

	mu     sync.RWMutex
	closed bool
	keys   map[string]keyInfo

	msgs      map[string]*msgRecord
	rcpts     map[store.RcptKey]*rcptRecord
	orig      map[string]map[int][]byte
	mails     map[string]*mailRecord // by key
	mailIDs   map[string]string      // mail id → key
	parked    map[string]*store.ParkedReceipt
	convs     map[string]store.Conversation
	optouts   map[string]time.Time
	policy    map[string][]byte // by instance
	quota     map[string]int    // by key
	segs      map[string]*segRecord
	watches   map[string]*store.Watch
	callbacks map[string]*callbackRecord
	live      map[string]time.Time // instance → when its heartbeat arrived here

	// Indexes of the committed messages: what each put in them is kept
	// in contrib, so that a change takes out exactly that.
	contrib    map[string]*contrib
	list       index[string]
	due        index[dueItem]
	overdue    index[timedPart]
	unreported index[store.RcptKey]
	delay      index[timedRcpt]
	purgeable  index[timedID]
	campaigns  index[timedID]
	tids       map[string]store.PartKey // tid key → part
	submitting map[store.PartKey]string // part → its owner
	stats      [store.PartCancelled + 1]int
}

type keyInfo struct {
	rev     uint64
	created time.Time // the server's time of the put
	deleted bool      // deleted here, not yet seen deleted by the watcher
}

func newView(log *slog.Logger) *view {
	return &view{
		log:  log,
		keys: map[string]keyInfo{}, msgs: map[string]*msgRecord{}, rcpts: map[store.RcptKey]*rcptRecord{},
		orig: map[string]map[int][]byte{}, mails: map[string]*mailRecord{}, mailIDs: map[string]string{},
		parked: map[string]*store.ParkedReceipt{}, convs: map[string]store.Conversation{}, optouts: map[string]time.Time{},
		policy: map[string][]byte{}, quota: map[string]int{}, segs: map[string]*segRecord{},
		watches: map[string]*store.Watch{}, callbacks: map[string]*callbackRecord{}, live: map[string]time.Time{},
		contrib:    map[string]*contrib{},
		list:       index[string]{cmp: cmpID},
		due:        index[dueItem]{cmp: cmpDue},
		overdue:    index[timedPart]{cmp: cmpTimedPart},
		unreported: index[store.RcptKey]{cmp: cmpRcpt},
		delay:      index[timedRcpt]{cmp: cmpTimedRcpt},
		purgeable:  index[timedID]{cmp: cmpTimedID},
		campaigns:  index[timedID]{cmp: cmpTimedID},
		tids:       map[string]store.PartKey{},
		submitting: map[store.PartKey]string{},
	}
}

// put records key's value at rev, unless the view holds that revision or
// a later one.
func (v *view) put(key string, rev uint64, created time.Time, val []byte) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if info, ok := v.keys[key]; ok && rev <= info.rev {
		return
	}
	v.keys[key] = keyInfo{rev: rev, created: created}
	v.set(key, val)
}

// removed records the watcher's news that key was deleted at rev.
func (v *view) removed(key string, rev uint64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if info, ok := v.keys[key]; ok && rev <= info.rev {
		return
	}
	delete(v.keys, key)
	v.set(key, nil)
}

// forget records this process's own delete of key: it keeps the revision
// it had, so that older news of the key does not bring it back.
func (v *view) forget(key string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	info, ok := v.keys[key]
	if !ok {
		return
	}
	v.keys[key] = keyInfo{rev: info.rev, deleted: true}
	v.set(key, nil)
}

// rev is key's revision in the view; ok is false when the view has no
// value for it.
func (v *view) rev(key string) (rev uint64, ok bool) {
	info, found := v.keys[key]
	return info.rev, found && !info.deleted
}

// set decodes val (nil: deleted) into the family key belongs to.
func (v *view) set(key string, val []byte) {
	pk, err := parseKey(key)
	if err != nil {
		v.log.Warn("key of no family in the bucket; ignored", "key", key)
		return
	}
	fail := func(err error) { v.log.Error("record does not decode; ignored", "key", key, "err", err) }
	switch pk.family {
	case famMsg:
		id := pk.names[0]
		delete(v.msgs, id)
		if val != nil {
			if m, err := decodeMsg(val); err != nil {
				fail(err)
			} else {
				v.msgs[id] = m
			}
		}
		v.reindex(id)
	case famRcpt:
		k := store.RcptKey{Msg: pk.names[0], Rcpt: pk.nums[0]}
		delete(v.rcpts, k)
		if val != nil {
			if r, err := decodeRcpt(val); err != nil {
				fail(err)
			} else {
				v.rcpts[k] = r
			}
		}
		v.reindex(k.Msg)
	case famOrig:
		id, n := pk.names[0], pk.nums[0]
		if val == nil {
			delete(v.orig[id], n)
			if len(v.orig[id]) == 0 {
				delete(v.orig, id)
			}
			break
		}
		if v.orig[id] == nil {
			v.orig[id] = map[int][]byte{}
		}
		v.orig[id][n] = val
	case famMail, famReport:
		if old := v.mails[key]; old != nil {
			delete(v.mailIDs, old.ID)
			delete(v.mails, key)
		}
		if val != nil {
			if m, err := decodeMail(val); err != nil {
				fail(err)
			} else {
				v.mails[key], v.mailIDs[m.ID] = m, key
			}
		}
	case famParked:
		delete(v.parked, key)
		if val != nil {
			if r, err := decodeJSON[store.ParkedReceipt]("parked receipt", val); err != nil {
				fail(err)
			} else {
				r.Transport, r.ID = pk.names[0], pk.names[1]
				v.parked[key] = r
			}
		}
	case famConv:
		delete(v.convs, pk.names[0])
		if val != nil {
			if c, err := decodeJSON[store.Conversation]("conversation", val); err != nil {
				fail(err)
			} else {
				v.convs[pk.names[0]] = *c
			}
		}
	case famOptOut:
		delete(v.optouts, pk.names[0])
		if val != nil {
			if t, err := decodeJSON[time.Time]("opt-out", val); err != nil {
				fail(err)
			} else {
				v.optouts[pk.names[0]] = *t
			}
		}
	case famPolicy:
		delete(v.policy, pk.names[0])
		if val != nil {
			v.policy[pk.names[0]] = val
		}
	case famQuota:
		delete(v.quota, key)
		if val != nil {
			if n, err := decodeCount(val); err != nil {
				fail(err)
			} else {
				v.quota[key] = n
			}
		}
	case famSegments:
		delete(v.segs, pk.names[0])
		if val != nil {
			if r, err := decodeSegments(val); err != nil {
				fail(err)
			} else {
				v.segs[pk.names[0]] = r
			}
		}
	case famWatch:
		delete(v.watches, pk.names[0])
		if val != nil {
			if w, err := decodeJSON[store.Watch]("watch", val); err != nil {
				fail(err)
			} else {
				w.Msg = pk.names[0]
				v.watches[pk.names[0]] = w
			}
		}
	case famCallback:
		delete(v.callbacks, pk.names[0])
		if val != nil {
			if c, err := decodeCallback(val); err != nil {
				fail(err)
			} else {
				v.callbacks[pk.names[0]] = c
			}
		}
	case famLive:
		delete(v.live, pk.names[0])
		if val != nil {
			v.live[pk.names[0]] = time.Now()
		}
	}
}

// message is message id when it is committed: its record and every
// recipient's are there.
func (v *view) message(id string) (*msgRecord, []*rcptRecord, bool) {
	m := v.msgs[id]
	if m == nil {
		return nil, nil, false
	}
	rs := make([]*rcptRecord, m.Recipients)
	for i := range rs {
		if rs[i] = v.rcpts[store.RcptKey{Msg: id, Rcpt: i}]; rs[i] == nil {
			return nil, nil, false
		}
	}
	return m, rs, true
}

// contrib is what one message put in the indexes.
type contrib struct {
	received   time.Time
	campaign   bool
	due        []dueItem
	overdue    []timedPart
	unreported []store.RcptKey
	delay      []timedRcpt
	purgeable  bool
	tids       map[string]store.PartKey
	submitting []store.PartKey
	stats      [store.PartCancelled + 1]int
}

// reindex takes message id out of the indexes and puts it back as its
// records now stand.
func (v *view) reindex(id string) {
	if c := v.contrib[id]; c != nil {
		v.list.del(id)
		for _, d := range c.due {
			v.due.del(d)
		}
		for _, o := range c.overdue {
			v.overdue.del(o)
		}
		for _, u := range c.unreported {
			v.unreported.del(u)
		}
		for _, d := range c.delay {
			v.delay.del(d)
		}
		if c.purgeable {
			v.purgeable.del(timedID{c.received, id})
		}
		if c.campaign {
			v.campaigns.del(timedID{c.received, id})
		}
		for tk, pk := range c.tids {
			if v.tids[tk] == pk {
				delete(v.tids, tk)
			}
		}
		for _, pk := range c.submitting {
			delete(v.submitting, pk)
		}
		for s, n := range c.stats {
			v.stats[s] -= n
		}
		delete(v.contrib, id)
	}
	m, rs, ok := v.message(id)
	if !ok {
		return
	}
	c := &contrib{received: m.Received, campaign: m.Campaign != nil, purgeable: true, tids: map[string]store.PartKey{}}
	for i, r := range rs {
		rk := store.RcptKey{Msg: id, Rcpt: i}
		pending := r.pending()
		switch {
		case pending == 0 && !r.Reported:
			c.unreported = append(c.unreported, rk)
		case r.Delay:
			c.delay = append(c.delay, timedRcpt{m.Received, rk})
		}
		if pending > 0 || !r.Reported {
			c.purgeable = false
		}
		for j := range r.Parts {
			p := &r.Parts[j]
			pk := store.PartKey{Msg: id, Rcpt: i, Part: j}
			c.stats[p.State]++
			switch p.State {
			case store.PartQueued:
				c.due = append(c.due, dueItem{m.Class.Rank(), p.NextAttempt, pk})
			case store.PartSubmitting:
				c.submitting = append(c.submitting, pk)
				v.submitting[pk] = p.Owner
			case store.PartSubmitted:
				if p.TransportID != "" {
					c.tids[tidKey(p.Transport, p.TransportID)] = pk
				}
				if p.AlsoID != "" {
					c.tids[tidKey(p.AlsoTransport, p.AlsoID)] = pk
				}
				if !m.Expires.IsZero() {
					c.overdue = append(c.overdue, timedPart{m.Expires, pk})
				}
			}
		}
	}
	v.list.add(id)
	for _, d := range c.due {
		v.due.add(d)
	}
	for _, o := range c.overdue {
		v.overdue.add(o)
	}
	for _, u := range c.unreported {
		v.unreported.add(u)
	}
	for _, d := range c.delay {
		v.delay.add(d)
	}
	if c.purgeable {
		v.purgeable.add(timedID{c.received, id})
	}
	if c.campaign {
		v.campaigns.add(timedID{c.received, id})
	}
	for tk, pk := range c.tids {
		v.tids[tk] = pk
	}
	for s, n := range c.stats {
		v.stats[s] += n
	}
	v.contrib[id] = c
}

// index is a sorted set: what bbolt keeps as a bucket of keys.
type index[T any] struct {
	items []T
	cmp   func(a, b T) int
}

func (x *index[T]) add(v T) {
	i, found := slices.BinarySearchFunc(x.items, v, x.cmp)
	if !found {
		x.items = slices.Insert(x.items, i, v)
	}
}

func (x *index[T]) del(v T) {
	if i, found := slices.BinarySearchFunc(x.items, v, x.cmp); found {
		x.items = slices.Delete(x.items, i, i+1)
	}
}

// from is the position of the first item not before v.
func (x *index[T]) from(v T) int {
	i, _ := slices.BinarySearchFunc(x.items, v, x.cmp)
	return i
}

type dueItem struct {
	rank int
	next time.Time
	key  store.PartKey
}

type timedPart struct {
	t   time.Time
	key store.PartKey
}

type timedRcpt struct {
	t   time.Time
	key store.RcptKey
}

type timedID struct {
	t  time.Time
	id string
}

// cmpID orders ids as bbolt's message keys do: by length, then bytes.
func cmpID(a, b string) int {
	return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
}

func cmpRcpt(a, b store.RcptKey) int { return cmp.Or(cmpID(a.Msg, b.Msg), cmp.Compare(a.Rcpt, b.Rcpt)) }

func cmpPart(a, b store.PartKey) int {
	return cmp.Or(cmpID(a.Msg, b.Msg), cmp.Compare(a.Rcpt, b.Rcpt), cmp.Compare(a.Part, b.Part))
}

func cmpDue(a, b dueItem) int {
	return cmp.Or(cmp.Compare(a.rank, b.rank), a.next.Compare(b.next), cmpPart(a.key, b.key))
}

func cmpTimedPart(a, b timedPart) int { return cmp.Or(a.t.Compare(b.t), cmpPart(a.key, b.key)) }
func cmpTimedRcpt(a, b timedRcpt) int { return cmp.Or(a.t.Compare(b.t), cmpRcpt(a.key, b.key)) }
func cmpTimedID(a, b timedID) int     { return cmp.Or(a.t.Compare(b.t), cmpID(a.id, b.id)) }
