package storetest

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/campaign"
	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/store"
)

// RunCopy checks `smsbridge store copy` from one backend to another: src
// and dst each make a new, empty store of their own, as for Run. The
// Backend src opens must also be a store.Exporter, and the one dst opens
// a store.Importer (an error wrapping store.ErrExists, and no write, for a
// record it holds already).
//
// It fills the source through the consumers' interfaces with one of
// everything: parts in every state (one submitting, one in doubt, one
// with a late id, receipts given and reports pending), a campaign, an
// SMPP message with its source address, watch and callbacks, outbox
// mail, a parked receipt, conversations, an opt-out, the policy counters,
// SIM counts, open and closed segment sets. It copies with store.Copy and
// checks that the target answers every question the consumers ask as the
// source does; copies again, which must import nothing and change
// nothing; reopens the target and checks again. Last it checks that the
// target carries on from there: Recover finds the part that was
// submitting, in doubt; a closed segment set knows a segment sent again;
// Purge finds the message that was done.
func RunCopy(t *testing.T, src, dst func(t *testing.T) Open) {
	from := &harness{T: t, open: src(t)}
	from.b = from.mustOpen()
	defer func() { _ = from.b.Close() }()
	to := &harness{T: t, open: dst(t)}
	to.b = to.mustOpen()
	defer func() { _ = to.b.Close() }()
	exporter, ok := from.b.(store.Exporter)
	if !ok {
		t.Fatalf("source %T is no store.Exporter", from.b)
	}
	if _, ok := to.b.(store.Importer); !ok {
		t.Fatalf("target %T is no store.Importer", to.b)
	}

	want := fillForCopy(from)
	before := takeSnapshot(from)
	if got := len(before.Conversations); got < 2 {
		t.Fatalf("source holds %d conversations; the fill made at least 2", got)
	}
	want[store.KindConversation] = len(before.Conversations)

	counts, err := store.Copy(ctx, exporter, to.b.(store.Importer))
	if err != nil {
		t.Fatalf("copy: %v", err)
	}
	if !maps.Equal(counts.Imported, want) || len(counts.Existing) != 0 {
		t.Errorf("copy imported %v and found %v there already; want %v imported", counts.Imported, counts.Existing, want)
	}
	to.sameAs(before, "after the copy")

	again, err := store.Copy(ctx, exporter, to.b.(store.Importer))
	if err != nil {
		t.Fatalf("copy again: %v", err)
	}
	if len(again.Imported) != 0 || !maps.Equal(again.Existing, want) {
		t.Errorf("copy again imported %v and found %v there already; want nothing imported, %v there", again.Imported, again.Existing, want)
	}
	to.sameAs(before, "after copying again")

	to.reopen()
	to.sameAs(before, "after the target's reopen")
	if after := takeSnapshot(from); !reflect.DeepEqual(after, before) {
		t.Errorf("the copy changed the source")
	}
	carryOn(to)
}

// copyNow is after everything the fill did: every time index is read up
// to it.
var copyNow = t0.Add(72 * time.Hour)

// fillForCopy stores one of everything in h's store and returns how many
// records of each kind a copy finds (conversations left for the caller).
func fillForCopy(h *harness) map[string]int {
	full := message("c-queued", 2, 2, t0, priority.Normal)
	full.Ret, full.Original = "FULL", []byte("From: alice@example.com\r\n\r\nthe whole mail")
	full.Recipients[1].Notify |= store.NotifyDelay
	full.Omitted = "an attachment"
	h.enqueue(full)
	urgent := message("c-urgent", 1, 1, t0.Add(time.Minute), priority.Urgent)
	urgent.Sender = "" // the null sender: no conversation
	h.enqueue(urgent)
	h.enqueue(message("c-bulk", 1, 1, t0.Add(2*time.Minute), priority.Bulk))

	h.enqueue(message("c-submitting", 1, 1, t0, priority.Normal))
	h.begin(pk("c-submitting", 0, 0))

	h.enqueue(message("c-submitted", 1, 2, t0, priority.Normal))
	h.begin(pk("c-submitted", 0, 0), pk("c-submitted", 0, 1))
	h.ok(h.b.Submitted(ctx, pk("c-submitted", 0, 0), "tid-1", t0.Add(time.Second)))
	h.ok(h.b.Submitted(ctx, pk("c-submitted", 0, 1), "tid-2", t0.Add(time.Second)))

	// The network gives tid-1 again, to a newer send: Lookup finds that.
	h.enqueue(message("c-reuse", 1, 1, t0, priority.Normal))
	h.begin(pk("c-reuse", 0, 0))
	h.ok(h.b.Submitted(ctx, pk("c-reuse", 0, 0), "tid-1", t0.Add(3*time.Second)))

	h.enqueue(message("c-late", 1, 1, t0, priority.Normal))
	h.begin(pk("c-late", 0, 0))
	out, err := h.b.LateID(ctx, pk("c-late", 0, 0), "smsc", "late-1", t0.Add(time.Second))
	h.ok(err)
	if out != store.LateDuplicate {
		h.Fatalf("LateID = %v, want LateDuplicate", out)
	}
	h.ok(h.b.Submitted(ctx, pk("c-late", 0, 0), "tid-3", t0.Add(2*time.Second)))

	h.enqueue(message("c-indoubt", 1, 1, t0, priority.Normal))
	h.begin(pk("c-indoubt", 0, 0))
	h.ok(h.b.RetryInDoubt(ctx, pk("c-indoubt", 0, 0), t0.Add(time.Hour), "no answer", t0.Add(time.Second)))

	h.enqueue(message("c-delivered", 1, 2, t0, priority.Normal))
	h.begin(pk("c-delivered", 0, 0))
	h.ok(h.b.Submitted(ctx, pk("c-delivered", 0, 0), "tid-4", t0.Add(time.Second)))
	_, err = h.b.FinishReceipt(ctx, pk("c-delivered", 0, 0), store.PartDelivered, "DELIVRD", "delivered", t0.Add(time.Minute))
	h.ok(err)
	_, err = h.b.Finish(ctx, pk("c-delivered", 0, 1), store.PartExpired, "validity ran out", t0.Add(time.Minute))
	h.ok(err)

	h.enqueue(message("c-done", 1, 1, t0, priority.Normal))
	_, err = h.b.Finish(ctx, pk("c-done", 0, 0), store.PartFailed, "no route", t0)
	h.ok(err)
	h.ok(h.b.MarkReported(ctx, rk("c-done", 0)))

	h.enqueue(message("c-cancel", 1, 2, t0, priority.Normal))
	n, _, err := h.b.CancelQueued(ctx, "c-cancel", "by the operator", t0.Add(time.Minute))
	h.ok(err)
	if n != 2 {
		h.Fatalf("CancelQueued cancelled %d parts, want 2", n)
	}

	camp := message("c-campaign", 2, 1, t0, priority.Bulk)
	camp.Campaign = &campaign.Pace{Rate: 0.5, Window: campaign.Window{Start: 9 * 60, End: 17 * 60}, Zone: "Europe/Zurich"}
	camp.Recipients[1].Parts[0].NextAttempt = t0.Add(30 * time.Minute)
	h.enqueue(camp)

	smpp := message("c-smpp", 1, 1, t0, priority.Normal)
	smpp.Source = "SMPPSRC"
	h.ok(h.b.EnqueueWatched(ctx, smpp, store.Watch{Owner: "smpp", Data: []byte("esme-1")}))
	h.ok(h.b.Tell(ctx, "c-smpp", []uint8{1}, false, []store.Callback{{ID: "cb-told", Owner: "smpp", Data: []byte("accepted"), Created: t0}}))
	h.ok(h.b.QueueCallbacks(ctx, []store.Callback{
		{ID: "cb-mo", Owner: "smpp", Data: []byte("deliver_sm"), Created: t0.Add(time.Second)},
		{ID: "cb-kannel", Owner: "kannel", Data: []byte("dlr-url"), Created: t0},
	}))
	h.ok(h.b.CallbackRetry(ctx, "cb-mo", t0.Add(10*time.Minute), "connection refused"))

	h.ok(h.b.QueueMail(ctx, &store.OutMail{ID: "mail-1", From: "", To: []string{"alice@example.com"},
		Data: []byte("Subject: delivered\r\n\r\nreport"), Created: t0}, store.MailFor{}))
	h.ok(h.b.QueueMail(ctx, &store.OutMail{ID: "mail-2", From: "sms@example.com", To: []string{"bob@example.com", "carol@example.com"},
		Data: []byte("Subject: reply\r\n\r\nhi"), Created: t0.Add(time.Second)}, store.MailFor{}))
	h.ok(h.b.MailRetry(ctx, "mail-2", t0.Add(2*time.Hour), "451 try later"))

	h.ok(h.b.ParkReceipt(ctx, store.ParkedReceipt{Transport: "smsc", ID: "early-1", State: 2, ErrorCode: "000",
		Done: t0.Add(-time.Second), Parked: t0}, nil))
	h.ok(h.b.SetConversation(ctx, "+41790009999", store.Conversation{Sender: "bob@example.com", Subject: "Re: hi",
		MessageID: "<reply@example.com>", Updated: t0.Add(time.Hour)}))
	h.ok(h.b.OptOut(ctx, "+41790008888", t0.Add(time.Hour)))
	h.ok(h.b.SetPolicyCounters(ctx, []byte(`{"day":"2026-03-02","alice":3}`)))
	_, _, err = h.b.QuotaAdd(ctx, "sim-1", t0, 3)
	h.ok(err)
	_, _, err = h.b.QuotaAdd(ctx, "sim-1", t0.AddDate(0, 0, -1), 2)
	h.ok(err)

	_, err = h.b.PutSegment(ctx, store.Segment{Set: "esme-1/+41790001111/7/2", Seq: 1, ID: "seg-open-1", Data: []byte("first half"), Received: t0})
	h.ok(err)
	for seq := 1; seq <= 2; seq++ {
		_, err = h.b.PutSegment(ctx, store.Segment{Set: "esme-1/+41790002222/9/3", Seq: seq, ID: fmt.Sprintf("seg-closed-%d", seq),
			Data: []byte(fmt.Sprintf("part %d", seq)), Received: t0.Add(time.Duration(seq) * time.Second)})
		h.ok(err)
	}
	h.ok(h.b.CloseSegments(ctx, "esme-1/+41790002222/9/3", nil, store.Watch{}, nil))

	return map[string]int{store.KindMessage: 13, store.KindMail: 2, store.KindParked: 1, store.KindOptOut: 1,
		store.KindPolicyCounters: 1, store.KindQuota: 3, store.KindSegments: 2, store.KindWatch: 1, store.KindCallback: 3}
}

// snapshot is what a store answers the consumers' questions with, times
// in UTC: two stores that answer the same are the same to the gateway.
type snapshot struct {
	Stats         map[store.PartState]int
	List          []store.Summary
	Messages      []*store.Message
	Originals     map[string][]byte
	Via           map[string]store.Via
	Lookups       map[string]string
	Due           map[string][]store.DuePart // at each of snapshotTimes; the others too
	DueIn         map[string][]store.DuePart // by class, at copyNow
	NextDue       time.Time
	Queued        []store.QueuedPart
	Overdue       map[string][]store.PartKey
	Unreported    []store.RcptKey
	DelayDue      map[string][]store.RcptKey
	DueMail       map[string][]store.OutMail
	NextMail      time.Time
	Parked        []store.ParkedReceipt
	Conversations []store.NumberConversation
	OptOuts       []store.OptOutEntry
	OptedOut      map[string]time.Time
	Policy        []byte
	Quotas        map[string][2]int
	Segments      map[string][]store.SegmentSet
	Watches       map[string][]store.Watch
	Callbacks     map[string][]store.Callback // by owner and time
	Campaigns     []store.CampaignSummary
}

// snapshotTimes are the times a snapshot reads the time indexes at, so
// that each entry's time counts, not only its order.
var snapshotTimes = []time.Time{t0.Add(-time.Minute), t0, t0.Add(30 * time.Second), t0.Add(5 * time.Minute),
	t0.Add(20 * time.Minute), t0.Add(90 * time.Minute), t0.Add(3 * time.Hour), t0.Add(48*time.Hour + 30*time.Minute), copyNow}

// lookups are the network ids a snapshot asks for: each send's, the late
// one, one whose part is final since (forgotten), one never given.
var lookups = [][2]string{{"smsc", "tid-1"}, {"smsc", "tid-2"}, {"smsc", "tid-3"}, {"smsc", "late-1"},
	{"smsc", "tid-4"}, {"smsc", "never"}}

var owners = []string{"smpp", "kannel"}

func takeSnapshot(h *harness) *snapshot {
	h.Helper()
	s := &snapshot{Originals: map[string][]byte{}, Via: map[string]store.Via{}, Lookups: map[string]string{},
		Due: map[string][]store.DuePart{}, DueIn: map[string][]store.DuePart{}, Overdue: map[string][]store.PartKey{},
		DelayDue: map[string][]store.RcptKey{}, DueMail: map[string][]store.OutMail{}, OptedOut: map[string]time.Time{},
		Quotas: map[string][2]int{}, Segments: map[string][]store.SegmentSet{}, Watches: map[string][]store.Watch{},
		Callbacks: map[string][]store.Callback{}}
	var err error
	s.Stats, err = h.b.Stats()
	h.ok(err)
	q := store.ListQuery{Limit: 5}
	for range 20 {
		page, next, err := h.b.List(q)
		h.ok(err)
		s.List = append(s.List, page...)
		if next == "" {
			break
		}
		q.Before = next
	}
	for _, sum := range s.List {
		m, err := h.b.Message(sum.ID)
		h.ok(err)
		s.Messages = append(s.Messages, m)
		o, err := h.b.Original(sum.ID)
		h.ok(err)
		s.Originals[sum.ID] = o
		for i := range m.Recipients {
			v, err := h.b.Via(rk(sum.ID, i))
			h.ok(err)
			s.Via[rk(sum.ID, i).String()] = v
		}
	}
	for _, l := range lookups {
		k, ok, err := h.b.Lookup(l[0], l[1])
		h.ok(err)
		s.Lookups[l[0]+"/"+l[1]] = fmt.Sprint(k, ok)
	}
	for _, at := range snapshotTimes {
		when := at.Format(time.RFC3339)
		s.Due[when], err = h.b.Due(at, 1000)
		h.ok(err)
		s.Overdue[when], err = h.b.Overdue(at, 1000)
		h.ok(err)
		s.DelayDue[when], err = h.b.DelayDue(at, 1000)
		h.ok(err)
		s.DueMail[when], err = h.b.DueMail(at, 1000)
		h.ok(err)
		s.Segments[when], err = h.b.StaleSegments(at, 1000)
		h.ok(err)
		for _, o := range owners {
			s.Callbacks[o+" "+when], err = h.b.DueCallbacks(o, at, 1000)
			h.ok(err)
		}
	}
	for _, c := range priority.Classes {
		s.DueIn[c.String()], err = h.b.DueIn(c, copyNow, 1000)
		h.ok(err)
	}
	s.NextDue, _, err = h.b.NextDue()
	h.ok(err)
	_, err = h.b.Queued(1000, func(p store.QueuedPart) { s.Queued = append(s.Queued, p) })
	h.ok(err)
	s.Unreported, err = h.b.Unreported(1000)
	h.ok(err)
	s.NextMail, _, err = h.b.NextMail()
	h.ok(err)
	s.Parked, err = h.b.ParkedReceipts()
	h.ok(err)
	s.Conversations, _, err = h.b.Conversations("", "", 1000)
	h.ok(err)
	s.OptOuts, _, err = h.b.OptOuts("", "", 1000)
	h.ok(err)
	for _, n := range []string{"+41790008888", "+41790009999"} {
		_, s.OptedOut[n], err = h.b.OptedOut(n)
		h.ok(err)
	}
	s.Policy, err = h.b.PolicyCounters()
	h.ok(err)
	for _, day := range []time.Time{t0, t0.AddDate(0, 0, -1), t0.AddDate(0, -1, 0)} {
		d, m, err := h.b.QuotaGet(ctx, "sim-1", day)
		h.ok(err)
		s.Quotas[day.Format(time.DateOnly)] = [2]int{d, m}
	}
	for _, o := range owners {
		s.Watches[o], err = h.b.Watches(o, "", 1000)
		h.ok(err)
	}
	s.Campaigns, err = h.b.Campaigns(1000)
	h.ok(err)
	inUTC(reflect.ValueOf(s))
	return s
}

// inUTC sets every time v holds to UTC: a backend may give its times in
// another zone and still mean the same instant.
func inUTC(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			inUTC(v.Elem())
		}
	case reflect.Struct:
		if t, ok := v.Interface().(time.Time); ok {
			if v.CanSet() {
				v.Set(reflect.ValueOf(t.UTC()))
			}
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				inUTC(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			inUTC(v.Index(i))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			inUTC(e)
			v.SetMapIndex(k, e)
		}
	}
}

// sameAs checks that h's store answers as want does, naming each answer
// that differs.
func (h *harness) sameAs(want *snapshot, when string) {
	h.Helper()
	got := takeSnapshot(h)
	gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	var differ []string
	for i := range gv.NumField() {
		if reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
			continue
		}
		g, _ := json.Marshal(gv.Field(i).Interface())
		w, _ := json.Marshal(wv.Field(i).Interface())
		differ = append(differ, fmt.Sprintf("%s:\n  target %s\n  source %s", gv.Type().Field(i).Name, g, w))
	}
	if len(differ) > 0 {
		h.Fatalf("%s the target answers otherwise than the source:\n%s", when, strings.Join(differ, "\n"))
	}
}

// carryOn checks that the copied store goes on where the source was.
func carryOn(h *harness) {
	h.Helper()
	recovered, err := h.b.Recover(copyNow)
	h.ok(err)
	if !slices.Equal(recovered, []store.PartKey{pk("c-submitting", 0, 0)}) {
		h.Errorf("Recover on the target = %v, want the part that was submitting", recovered)
	}
	if p := h.state(pk("c-submitting", 0, 0), store.PartQueued); p.InDoubt != 1 || p.Attempts != 1 {
		h.Errorf("recovered part: %d in doubt, %d attempts; want 1, 1", p.InDoubt, p.Attempts)
	}
	h.lookup("smsc", "late-1", pk("c-late", 0, 0))
	set, err := h.b.PutSegment(ctx, store.Segment{Set: "esme-1/+41790002222/9/3", Seq: 2, ID: "seg-again", Data: []byte("part 2"), Received: copyNow})
	h.ok(err)
	if !set.Closed || len(set.Segments) != 2 || set.Segments[1].ID != "seg-closed-2" {
		h.Errorf("a segment of a closed set sent again: set %+v, want the closed set with its first id", set)
	}
	purged, err := h.b.Purge(ctx, copyNow)
	h.ok(err)
	if purged != 1 {
		h.Errorf("Purge on the target deleted %d messages, want 1 (c-done)", purged)
	}
}
