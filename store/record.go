package store

import "fmt"

// Record is one thing a store keeps, exactly as much as recreating it in
// another store takes: what `smsbridge store copy` moves from one backend
// to another (DB.Export gives them, DB.Import takes them). Exactly one of
// its fields is set, DelayWatch only beside Message. A record is plain Go
// values, shared with nothing: how the target keeps it is the target's
// business, and every index a record implies (the due order, the
// transport ids, the campaign list, the purge and report lists, the part
// counts) is the target's to rebuild from it.
type Record struct {
	// Message is a message with every recipient and part as it stands
	// now (state, attempts, next attempt, transport ids including the
	// late one, receipt, in-doubt count, reported flags), its class,
	// campaign pace and SMS source, and Original (RET=FULL) when kept.
	// Parts submitting stay submitting: the target's first Recover treats
	// them as in doubt, as a restart would. Unlike Enqueue, importing it
	// keeps every part field as given and writes no conversation and no
	// watch: those are records of their own.
	Message *Message
	// DelayWatch lists, with Message, the recipients (by index) still
	// waiting for a delay notice: those DelayDue will list.
	DelayWatch []int

	Mail         *OutMail            // an outbox mail, its attempts and next attempt as they are
	Parked       *ParkedReceipt      // a receipt that came before its submit was recorded
	Conversation *NumberConversation // the last mail to a number
	OptOut       *OptOutEntry        // a number on the opt-out list
	// PolicyCounters is the sender policy's counters, as SetPolicyCounters
	// keeps them (never empty when set).
	PolicyCounters []byte
	Quota          *QuotaCount   // one SIM's count for a day or a month
	Segments       *SegmentsCopy // an SMPP segment set, open or closed
	Watch          *Watch        // an integration's watch of a message, what it told so far
	Callback       *Callback     // a notice an integration owes its client
}

// QuotaCount is one SIM's send count for one calendar day or month, as
// QuotaAdd counted it (in the zone of the day it was given).
type QuotaCount struct {
	SIM    string
	Month  bool   // a month's count; a day's when false
	Period string // "20060102" for a day, "200601" for a month
	Count  int
}

// SegmentsCopy is a segment set with what PutSegment compares a segment
// sent again with: the digest of each segment's data, which a closed set
// keeps after its data is dropped.
type SegmentsCopy struct {
	SegmentSet
	Digests [][]byte // SegmentDigest of each segment's data, in Segments order
}

// SegmentDigest is the digest of a segment's data that a segment set
// keeps: the first 16 bytes of its SHA-256. Backends use the same one, so
// that a set copied from one to another still knows its segments.
func SegmentDigest(data []byte) []byte { return segDigest(data) }

// Record kinds, as Kind names them.
const (
	KindMessage        = "message"
	KindMail           = "mail"
	KindParked         = "parked receipt"
	KindConversation   = "conversation"
	KindOptOut         = "opt-out"
	KindPolicyCounters = "policy counters"
	KindQuota          = "quota count"
	KindSegments       = "segment set"
	KindWatch          = "watch"
	KindCallback       = "callback"
)

// RecordKinds lists every kind in the order Export gives them: messages
// first, so that what follows one (its watch) finds it in the target.
var RecordKinds = []string{KindMessage, KindMail, KindParked, KindConversation, KindOptOut,
	KindPolicyCounters, KindQuota, KindSegments, KindWatch, KindCallback}

// Kind names what r holds; an error when it holds nothing or more than
// one thing.
func (r *Record) Kind() (string, error) {
	var kinds []string
	add := func(set bool, kind string) {
		if set {
			kinds = append(kinds, kind)
		}
	}
	add(r.Message != nil, KindMessage)
	add(r.Mail != nil, KindMail)
	add(r.Parked != nil, KindParked)
	add(r.Conversation != nil, KindConversation)
	add(r.OptOut != nil, KindOptOut)
	add(r.PolicyCounters != nil, KindPolicyCounters)
	add(r.Quota != nil, KindQuota)
	add(r.Segments != nil, KindSegments)
	add(r.Watch != nil, KindWatch)
	add(r.Callback != nil, KindCallback)
	switch {
	case len(kinds) != 1:
		return "", fmt.Errorf("%w: record holds %d things %v, not one", ErrInvalid, len(kinds), kinds)
	case r.DelayWatch != nil && r.Message == nil:
		return "", fmt.Errorf("%w: a delay watch without its message", ErrInvalid)
	}
	return kinds[0], nil
}
