package bridge

import (
	"context"
	"time"

	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/store"
)

// What each part of the bridge needs of the durable queue, one interface
// per consumer, so that a second backend knows what it must keep and a
// part can be given a store of its own. *store.DB implements them all;
// store/storetest checks the promises behind them against any backend.

// SubmitStore is what the submission path needs (SMTP Submit, SendText,
// SendCampaign, ResolveNumbers): a message is accepted once Enqueue
// returns, and numbers that replied STOP are not sent to.
type SubmitStore interface {
	Enqueue(ctx context.Context, m *store.Message) error
	OptedOut(number string) (bool, time.Time, error)
}

// DispatchStore is what the dispatcher needs: the due parts by class,
// their attempts and outcomes, sends in doubt, whole-message resends
// through another transport, campaign holds, expiry and purge.
type DispatchStore interface {
	Recover(now time.Time) ([]store.PartKey, error)
	Due(now time.Time, limit int) ([]store.DuePart, error)
	DueIn(class priority.Class, now time.Time, limit int) ([]store.DuePart, error)
	NextDue() (time.Time, bool, error)
	Begin(ctx context.Context, keys []store.PartKey, transport string, now time.Time) ([]store.PartKey, error)
	Submitted(ctx context.Context, k store.PartKey, transportID string, now time.Time) error
	Retry(ctx context.Context, k store.PartKey, next time.Time, reason string, now time.Time) error
	RetryInDoubt(ctx context.Context, k store.PartKey, next time.Time, reason string, now time.Time) error
	Finish(ctx context.Context, k store.PartKey, state store.PartState, reason string, now time.Time) (bool, error)
	Via(k store.RcptKey) (store.Via, error)
	RequeueRecipient(ctx context.Context, k store.RcptKey, reason string, now time.Time) (int, error)
	OptedOut(number string) (bool, time.Time, error)
	Overdue(t time.Time, limit int) ([]store.PartKey, error)
	Purge(ctx context.Context, before time.Time) (int, error)
}

// ReceiptStore is what receipt matching needs: the part a network id
// names (either of two sends of one part), its final state with the
// receipt's, the id of a send in doubt answered late, and the receipts
// that came before their submit was recorded, kept because they were
// acknowledged to the network.
type ReceiptStore interface {
	Lookup(transport, transportID string) (store.PartKey, bool, error)
	FinishReceipt(ctx context.Context, k store.PartKey, state store.PartState, receipt, reason string, now time.Time) (bool, error)
	LateID(ctx context.Context, k store.PartKey, transport, id string, now time.Time) (store.LateOutcome, error)
	ParkReceipt(ctx context.Context, r store.ParkedReceipt, drop []store.ParkedReceipt) error
	UnparkReceipts(ctx context.Context, rs []store.ParkedReceipt) error
	ParkedReceipts() ([]store.ParkedReceipt, error)
}

// ReportStore is what the reporter needs: recipients that are final and
// not reported yet, those due a delay notice, and the message to write
// the report from.
type ReportStore interface {
	Unreported(limit int) ([]store.RcptKey, error)
	MarkReported(ctx context.Context, k store.RcptKey) error
	DelayDue(before time.Time, limit int) ([]store.RcptKey, error)
	DelayDone(ctx context.Context, k store.RcptKey) error
	Message(id string) (*store.Message, error)
	Original(id string) ([]byte, error)
}

// OutboxStore is what the outbox needs: the mail the gateway writes
// (reports, inbound SMS), kept until it is handed on.
type OutboxStore interface {
	QueueMail(ctx context.Context, m *store.OutMail, what store.MailFor) error
	DueMail(now time.Time, limit int) ([]store.OutMail, error)
	NextMail() (time.Time, bool, error)
	MailSent(ctx context.Context, id string) error
	MailRetry(ctx context.Context, id string, next time.Time, reason string) error
}

// TwoWayStore is what inbound SMS need: where replies to a number go,
// and the STOP and START keywords.
type TwoWayStore interface {
	Conversation(number string) (store.Conversation, bool, error)
	SetConversation(ctx context.Context, number string, c store.Conversation) error
	OptOut(ctx context.Context, number string, at time.Time) error
	OptIn(ctx context.Context, number string) error
}

// OperatorStore is what an operator's cancel and retry need (the API,
// `smsbridge queue`).
type OperatorStore interface {
	CancelQueued(ctx context.Context, id, reason string, now time.Time) (int, []store.RcptKey, error)
	RetryQueued(ctx context.Context, id string, now time.Time) (int, error)
	Resend(ctx context.Context, id string, expires, now time.Time) (int, error)
}

// Store is the whole of what the gateway needs: one value that is all of
// the above.
type Store interface {
	SubmitStore
	DispatchStore
	ReceiptStore
	ReportStore
	OutboxStore
	TwoWayStore
	OperatorStore
}
