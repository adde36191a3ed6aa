package bridge

import (
	"time"

	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport"
)

// Observer is told what happens to mail and SMS, for metrics. Its methods
// are called on hot paths: they must be fast and safe for concurrent use.
type Observer interface {
	// MessageQueued: a mail (source "smtp") or a text ("api", "keyword")
	// was stored with this many recipients and parts in all.
	MessageQueued(source string, recipients, parts int)
	// PartSubmitted: the network took a part of a message of class c; took
	// is the submit's round trip, waited the time since the message was
	// accepted.
	PartSubmitted(transport string, c priority.Class, took, waited time.Duration)
	// SubmitFailed: an attempt failed; it will be retried when temporary.
	SubmitFailed(transport string, temporary bool)
	// PartFinal: a part reached a final state.
	PartFinal(state store.PartState)
	// Receipt: a delivery receipt came; matched is false when it named no part.
	Receipt(transport string, state transport.ReceiptState, matched bool)
	// ReceiptDropped: a receipt waiting for its submit to be recorded was
	// dropped to keep the waiting set within its bounds.
	ReceiptDropped(transport string)
	// Inbound: an SMS from a phone came.
	Inbound(transport string)
	// MailSent: the outbox handed on a mail (ok) or failed to (will retry
	// or gave up).
	MailSent(ok bool)
}

// nopObserver is the Observer when none is given.
type nopObserver struct{}

func (nopObserver) MessageQueued(string, int, int)                                     {}
func (nopObserver) PartSubmitted(string, priority.Class, time.Duration, time.Duration) {}
func (nopObserver) SubmitFailed(string, bool)                                          {}
func (nopObserver) PartFinal(store.PartState)                                          {}
func (nopObserver) Receipt(string, transport.ReceiptState, bool)                       {}
func (nopObserver) ReceiptDropped(string)                                              {}
func (nopObserver) Inbound(string)                                                     {}
func (nopObserver) MailSent(bool)                                                      {}
