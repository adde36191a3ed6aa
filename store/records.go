package store

import (
	"fmt"
	"time"

	"github.com/smsbridge/smsbridge/campaign"
	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/sms"
)

// PartState is where one part stands in its life: queued → submitting →
// submitted → delivered | failed | expired.
type PartState uint8

const (
	PartQueued     PartState = iota + 1 // waiting for NextAttempt
	PartSubmitting                      // attempt recorded, submit under way; in doubt after a crash
	PartSubmitted                       // the network accepted it; waiting for a receipt
	PartDelivered                       // final
	PartFailed                          // final
	PartExpired                         // final: validity ran out
	PartCancelled                       // final: cancelled by an operator
)

var partStateNames = [...]string{"", "queued", "submitting", "submitted", "delivered", "failed", "expired", "cancelled"}

func (s PartState) String() string {
	if int(s) < len(partStateNames) && s != 0 {
		return partStateNames[s]
	}
	return fmt.Sprintf("PartState(%d)", s)
}

// Final reports whether the part will not change state again.
func (s PartState) Final() bool { return s >= PartDelivered }

// Notify says which delivery reports the sender asked for (RFC 3461 NOTIFY),
// already resolved against the configured receipt mode.
type Notify uint8

const (
	NotifySuccess Notify = 1 << iota
	NotifyFailure
	NotifyDelay
)

// Message is one accepted mail, with everything needed to send its SMS and
// report on them. It is written once by Enqueue; parts change afterwards.
type Message struct {
	ID         string    // queue id
	Received   time.Time // when it was accepted
	Expires    time.Time // validity: parts not final by then expire
	Sender     string    // envelope sender; "" for the null sender <>
	Source     string    // the SMS source address its client chose; "" for the route's or transport's
	Subject    string    // decoded Subject, for receipts
	MessageID  string    // the mail's Message-ID header, for In-Reply-To
	EnvID      string    // RFC 3461 ENVID
	Ret        string    // RFC 3461 RET: "" | "HDRS" | "FULL"
	Header     []byte    // the original header block, for reports
	Omitted    string    // what the SMS leaves out of the mail, for reports; "" when nothing
	Original   []byte    // the whole mail, kept only for RET=FULL reports; see DB.Original
	Recipients []Recipient

	// Class is the priority class its parts are served in.
	Class priority.Class
	// Campaign, when set, makes the message a campaign with this pace:
	// listed by Campaigns, each part first due at its NextAttempt (see
	// Enqueue), and held to its window by the dispatcher.
	Campaign *campaign.Pace
}

// Recipient is one destination number of a message.
type Recipient struct {
	Address  string // the RCPT TO address as given
	Number   string // E.164
	ORCPT    string // RFC 3461 ORCPT, as given
	Notify   Notify
	Reported bool // its final report has been handed on (or none was due)
	Parts    []Part
}

// Part is one SMS segment and its delivery state.
type Part struct {
	Encoding sms.Encoding
	Text     string
	Payload  []byte // see transport.Part.Payload
	Ref      uint8
	Seq      int // 1-based within the recipient's parts
	Total    int

	State       PartState
	Attempts    int
	NextAttempt time.Time // meaningful while queued
	Transport   string    // the transport of the last attempt
	TransportID string    // the network's id, once submitted
	Error       string    // the last error or final status text
	Updated     time.Time // when State last changed
	// Receipt is the state the network's delivery receipt gave a final
	// part (DELIVRD, UNDELIV, EXPIRED…); "" when no receipt made it final.
	Receipt string
	// InDoubt counts the sends of this part whose outcome was never known
	// (no answer before the link was lost or the in-doubt limit passed, or
	// a crash between Begin and Submitted): each may have reached the
	// phone. It bounds the part's resends (max_in_doubt_resends).
	InDoubt int
	// AlsoTransport and AlsoID name an earlier send of this part that the
	// network accepted after all, late, while the part had been or was
	// being sent again: the phone may get it twice. The id is indexed for
	// Lookup like TransportID, so receipts for either send match.
	AlsoTransport, AlsoID string
	// MovedFrom is the transport this part had gone out through before its
	// message to this number was sent again as a whole through another
	// (or another SIM): the phone may show that copy too.
	MovedFrom string
}

// MaybeTwice reports whether the phone may have received part p more than
// once: it was sent again after a send in doubt, or a late answer showed
// that two sends were accepted.
func (p *Part) MaybeTwice() bool {
	return p.AlsoID != "" || (p.InDoubt > 0 && (p.State == PartSubmitted || p.State == PartDelivered))
}

// PartKey names one part: message id, recipient index, part index (0-based).
type PartKey struct {
	Msg  string
	Rcpt int
	Part int
}

func (k PartKey) String() string { return fmt.Sprintf("%s/%d/%d", k.Msg, k.Rcpt, k.Part) }

// RcptKey names one recipient of a message.
type RcptKey struct {
	Msg  string
	Rcpt int
}

func (k RcptKey) String() string { return fmt.Sprintf("%s/%d", k.Msg, k.Rcpt) }
