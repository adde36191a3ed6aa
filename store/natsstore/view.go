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

	mu      sync.RWMutex
	closed  bool
	keys    map[string]keyInfo
	markers map[string]keyInfo // delete markers the watcher brought, to purge once old

	msgs      map[string]*msgRecord
	rcpts     map[store.RcptKey]*rcptRecord
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

	// Indexes of the committed messages: what each recipient and message
	// put in them is kept, so that a change takes out exactly that.
	present    map[string]int // recipient records held, by message
	rcptIdx    map[store.RcptKey]*rcptContrib
	msgIdx     map[string]*msgContrib
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
		keys: map[string]keyInfo{}, markers: map[string]keyInfo{}, msgs: map[string]*msgRecord{}, rcpts: map[store.RcptKey]*rcptRecord{},
		mails: map[string]*mailRecord{}, mailIDs: map[string]string{},
		parked: map[string]*store.ParkedReceipt{}, convs: map[string]store.Conversation{}, optouts: map[string]time.Time{},
		policy: map[string][]byte{}, quota: map[string]int{}, segs: map[string]*segRecord{},
		watches: map[string]*store.Watch{}, callbacks: map[string]*callbackRecord{}, live: map[string]time.Time{},
		present: map[string]int{}, rcptIdx: map[store.RcptKey]*rcptContrib{}, msgIdx: map[string]*msgContrib{},
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
	if unviewed(key) {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if info, ok := v.keys[key]; ok && rev <= info.rev {
		return
	}
	delete(v.markers, key)
	v.keys[key] = keyInfo{rev: rev, created: created}
	v.set(key, val)
}

// removed records the watcher's news that key was deleted at rev, the
// delete marker written at created.
func (v *view) removed(key string, rev uint64, created time.Time) {
	if unviewed(key) {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if info, ok := v.keys[key]; ok && rev <= info.rev {
		return
	}
	v.markers[key] = keyInfo{rev: rev, created: created}
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

// unviewed reports whether key is of the family the view does not hold:
// originals, read from the server when a report needs one, so that mail
// kept for RET=FULL does not stay in every process's memory.
func unviewed(key string) bool { return strings.HasPrefix(key, famOrig+".") }

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
		var m *msgRecord
		if val != nil {
			if m, err = decodeMsg(val); err != nil {
				fail(err)
			}
		}
		v.setMsg(pk.names[0], m)
	case famRcpt:
		var r *rcptRecord
		if val != nil {
			if r, err = decodeRcpt(val); err != nil {
				fail(err)
			}
		}
		v.setRcpt(store.RcptKey{Msg: pk.names[0], Rcpt: pk.nums[0]}, r)
	case famMail, famReport, famNotice:
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
			if r, err := decodeRecord[store.ParkedReceipt]("parked receipt", val); err != nil {
				fail(err)
			} else {
				r.Transport, r.ID = pk.names[0], pk.names[1]
				v.parked[key] = r
			}
		}
	case famConv:
		keep(v.convs, pk.names[0], val, decodeValue[store.Conversation]("conversation"), fail)
	case famOptOut:
		keep(v.optouts, pk.names[0], val, decodeValue[time.Time]("opt-out"), fail)
	case famPolicy:
		delete(v.policy, pk.names[0])
		if val != nil {
			v.policy[pk.names[0]] = val
		}
	case famQuota:
		keep(v.quota, key, val, decodeCount, fail)
	case famSegments:
		keep(v.segs, pk.names[0], val, decodeSegments, fail)
	case famWatch:
		delete(v.watches, pk.names[0])
		if val != nil {
			if w, err := decodeRecord[store.Watch]("watch", val); err != nil {
				fail(err)
			} else {
				w.Msg = pk.names[0]
				v.watches[pk.names[0]] = w
			}
		}
	case famCallback:
		keep(v.callbacks, pk.names[0], val, decodeCallback, fail)
	case famLive:
		delete(v.live, pk.names[0])
		if val != nil {
			v.live[pk.names[0]] = time.Now()
		}
	}
}

// keep puts in m, under name, what val decodes to; a deleted record (val
// nil), or one that does not decode (told to fail), leaves none there.
func keep[T any](m map[string]T, name string, val []byte, decode func([]byte) (T, error), fail func(error)) {
	delete(m, name)
	if val == nil {
		return
	}
	r, err := decode(val)
	if err != nil {
		fail(err)
		return
	}
	m[name] = r
}

// decodeValue decodes a record of what kept by value.
func decodeValue[T any](what string) func([]byte) (T, error) {
	return func(b []byte) (T, error) {
		r, err := decodeRecord[T](what, b)
		if err != nil {
			var zero T
			return zero, err
		}
		return *r, nil
	}
}

// visible reports whether message id is committed: its record and every
// recipient's are there.
func (v *view) visible(id string) bool {
	m := v.msgs[id]
	return m != nil && v.present[id] == m.Recipients
}

// message is message id with its recipients when it is committed.
func (v *view) message(id string) (*msgRecord, []*rcptRecord, bool) {
	if !v.visible(id) {
		return nil, nil, false
	}
	m := v.msgs[id]
	rs := make([]*rcptRecord, m.Recipients)
	for i := range rs {
		rs[i] = v.rcpts[store.RcptKey{Msg: id, Rcpt: i}]
	}
	return m, rs, true
}

// setMsg records message id's record (nil: gone) and re-indexes its
// recipients, whose due and overdue entries depend on it.
func (v *view) setMsg(id string, m *msgRecord) {
	if old := v.msgs[id]; old != nil && v.visible(id) {
		for i := range old.Recipients {
			v.unindexRcpt(store.RcptKey{Msg: id, Rcpt: i})
		}
	}
	delete(v.msgs, id)
	if m != nil {
		v.msgs[id] = m
	}
	if v.visible(id) {
		for i := range m.Recipients {
			v.indexRcpt(store.RcptKey{Msg: id, Rcpt: i})
		}
	}
	v.indexMsg(id)
}

// setRcpt records recipient k's record (nil: gone) and re-indexes it; a
// message that becomes committed, or no longer is, is re-indexed whole.
func (v *view) setRcpt(k store.RcptKey, r *rcptRecord) {
	was := v.visible(k.Msg)
	if was {
		v.unindexRcpt(k)
	}
	if v.rcpts[k] != nil {
		v.present[k.Msg]--
		delete(v.rcpts, k)
	}
	if r != nil {
		v.rcpts[k] = r
		v.present[k.Msg]++
	}
	if v.present[k.Msg] == 0 {
		delete(v.present, k.Msg)
	}
	is := v.visible(k.Msg)
	switch {
	case was && is:
		v.indexRcpt(k)
	case was:
		for i := range v.msgs[k.Msg].Recipients {
			v.unindexRcpt(store.RcptKey{Msg: k.Msg, Rcpt: i})
		}
	case is:
		for i := range v.msgs[k.Msg].Recipients {
			v.indexRcpt(store.RcptKey{Msg: k.Msg, Rcpt: i})
		}
	}
	v.indexMsg(k.Msg)
}

// rcptContrib is what one recipient put in the indexes.
type rcptContrib struct {
	due        []dueItem
	overdue    []timedPart
	unreported bool
	delay      *timedRcpt
	closed     bool // final and reported
	tids       map[string]store.PartKey
	submitting []store.PartKey
	stats      [store.PartCancelled + 1]int
}

// msgContrib is what one message put in the indexes of messages.
type msgContrib struct {
	received  time.Time
	closed    int // recipients final and reported
	listed    bool
	campaign  bool
	purgeable bool
}

func (v *view) unindexRcpt(k store.RcptKey) {
	c := v.rcptIdx[k]
	if c == nil {
		return
	}
	for _, d := range c.due {
		v.due.del(d)
	}
	for _, o := range c.overdue {
		v.overdue.del(o)
	}
	if c.unreported {
		v.unreported.del(k)
	}
	if c.delay != nil {
		v.delay.del(*c.delay)
	}
	if c.closed {
		v.msgIdx[k.Msg].closed--
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
	delete(v.rcptIdx, k)
}

// indexRcpt puts recipient k, of a committed message, in the indexes.
func (v *view) indexRcpt(k store.RcptKey) {
	m, r := v.msgs[k.Msg], v.rcpts[k]
	c := &rcptContrib{tids: map[string]store.PartKey{}}
	pending := r.pending()
	switch {
	case pending == 0 && !r.Reported:
		c.unreported = true
		v.unreported.add(k)
	case r.Delay:
		c.delay = &timedRcpt{m.Received, k}
		v.delay.add(*c.delay)
	}
	if pending == 0 && r.Reported {
		c.closed = true
		v.msgContrib(k.Msg).closed++
	}
	for j := range r.Parts {
		p := &r.Parts[j]
		pk := store.PartKey{Msg: k.Msg, Rcpt: k.Rcpt, Part: j}
		c.stats[p.State]++
		v.stats[p.State]++
		switch p.State {
		case store.PartQueued:
			d := dueItem{m.Class.Rank(), p.NextAttempt, pk}
			c.due = append(c.due, d)
			v.due.add(d)
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
				o := timedPart{m.Expires, pk}
				c.overdue = append(c.overdue, o)
				v.overdue.add(o)
			}
		}
	}
	for tk, pk := range c.tids {
		// The network gave the id again: it names the part sent last, as
		// in bbolt, where the newer send took the index entry over.
		if held, ok := v.tids[tk]; ok && held != pk && v.updated(held).After(r.Parts[pk.Part].Updated) {
			continue
		}
		v.tids[tk] = pk
	}
	v.rcptIdx[k] = c
}

// updated is when part k last changed state; zero when the view has no
// such part.
func (v *view) updated(k store.PartKey) time.Time {
	r := v.rcpts[rcptOf(k)]
	if r == nil || k.Part >= len(r.Parts) {
		return time.Time{}
	}
	return r.Parts[k.Part].Updated
}

func (v *view) msgContrib(id string) *msgContrib {
	c := v.msgIdx[id]
	if c == nil {
		c = &msgContrib{}
		v.msgIdx[id] = c
	}
	return c
}

// indexMsg puts message id in the list, campaign and purge indexes as it
// now stands.
func (v *view) indexMsg(id string) {
	c := v.msgContrib(id)
	if c.listed {
		v.list.del(id)
	}
	if c.campaign {
		v.campaigns.del(timedID{c.received, id})
	}
	if c.purgeable {
		v.purgeable.del(timedID{c.received, id})
	}
	c.listed, c.campaign, c.purgeable = false, false, false
	if !v.visible(id) {
		if c.closed == 0 {
			delete(v.msgIdx, id)
		}
		return
	}
	m := v.msgs[id]
	c.received, c.listed = m.Received, true
	v.list.add(id)
	if m.Campaign != nil {
		c.campaign = true
		v.campaigns.add(timedID{c.received, id})
	}
	if c.closed == m.Recipients {
		c.purgeable = true
		v.purgeable.add(timedID{c.received, id})
	}
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
