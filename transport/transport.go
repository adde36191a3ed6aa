// Package transport defines what the dispatcher needs from a way of sending
// SMS (an SMPP link, a GSM modem, the simulator) and what such a transport
// reports back: submission ids, delivery receipts and mobile-originated SMS.
package transport

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/smsbridge/smsbridge/sms"
)

// Part is one SMS as it goes over the air: one segment of a possibly
// concatenated message, already encoded.
type Part struct {
	Key      string       // the store's key of this part; for logs only
	To       string       // destination in E.164, with the leading '+'
	Source   string       // sender id or number; "" means the transport's default
	Encoding sms.Encoding // how Payload is encoded
	Text     string       // the text of this part, for logs and the simulator
	// Payload is the short message without any UDH: GSM-7 septets unpacked
	// (one septet per byte, escapes included) or UCS-2 big-endian bytes.
	Payload []byte
	// Ref, Seq and Total describe concatenation; Total <= 1 means a
	// standalone SMS. Seq counts from 1.
	Ref     uint8
	Seq     int
	Total   int
	Receipt bool      // ask the network for a delivery receipt
	Expires time.Time // validity; zero means the network's default
	// After is the id this transport's Send returned for another part of
	// the same message to the same number, "" when none went out yet: a
	// transport with several senders (modem SIMs) sends this part through
	// the same one, or fails with ErrCannotFollow.
	After string
}

// Concatenated reports whether p is one segment of a longer message.
func (p *Part) Concatenated() bool { return p.Total > 1 }

// Transport sends parts and reports events. Implementations must be safe for
// concurrent Send calls; the dispatcher bounds their number by the window.
type Transport interface {
	Name() string
	// Run connects, keeps the link up (re-binding with backoff) and delivers
	// events to h until ctx is done. It returns only when ctx is done or on a
	// configuration error that retrying cannot mend.
	Run(ctx context.Context, h Handler) error
	// Send submits one part and returns the network's id for it. An error is
	// an *Error or is treated as temporary.
	Send(ctx context.Context, p *Part) (id string, err error)
}

// Handler receives what a transport hears from the network. Calls may come
// from the transport's read loop: implementations must not block for long.
//
// Each call comes with done, which the handler calls once what it was given
// is safely recorded (nil) or could not be (an error). A transport whose
// network sends again what it was not acknowledged for (SMPP's deliver_sm)
// acknowledges only then, so that nothing is lost when the gateway stops or
// fails in between. done may be called from another goroutine, later.
type Handler interface {
	HandleReceipt(r Receipt, done func(error))
	HandleInbound(in Inbound, done func(error))
}

// ReceiptState is the state a delivery receipt reports.
type ReceiptState uint8

const (
	StateUnknown       ReceiptState = iota // UNKNOWN, or a status we cannot read
	StateEnroute                           // ENROUTE: still trying
	StateAccepted                          // ACCEPTD: accepted by the network, not yet delivered
	StateDelivered                         // DELIVRD
	StateExpired                           // EXPIRED
	StateDeleted                           // DELETED
	StateUndeliverable                     // UNDELIV
	StateRejected                          // REJECTD
)

var stateNames = [...]string{"UNKNOWN", "ENROUTE", "ACCEPTD", "DELIVRD", "EXPIRED", "DELETED", "UNDELIV", "REJECTD"}

func (s ReceiptState) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("ReceiptState(%d)", s)
}

// Final reports whether no further receipt is expected after this state.
func (s ReceiptState) Final() bool {
	switch s {
	case StateDelivered, StateExpired, StateDeleted, StateUndeliverable, StateRejected:
		return true
	}
	return false
}

// Receipt is a delivery report for a part previously returned by Send.
type Receipt struct {
	Transport string
	MessageID string // the id Send returned
	State     ReceiptState
	ErrorCode string // network error code, e.g. "000"; "" when absent
	Done      time.Time
}

// Inbound is a mobile-originated SMS, reassembled if it came in parts.
type Inbound struct {
	Transport string
	From      string // E.164 when the network gives an international number
	To        string // the number or short code it was sent to
	Text      string
	Received  time.Time
}

// Error is a failed submission, classified so the dispatcher knows whether
// to retry.
type Error struct {
	Temporary bool
	InDoubt   bool   // the network may have accepted it (e.g. no response)
	Status    string // the network's status, e.g. "0x00000058 ESME_RTHROTTLED"
	Err       error
}

func (e *Error) Error() string {
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	if e.Status != "" {
		return fmt.Sprintf("%s error %s: %v", kind, e.Status, e.Err)
	}
	return fmt.Sprintf("%s error: %v", kind, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary wraps err as a failure worth retrying.
func Temporary(status string, err error) error {
	return &Error{Temporary: true, Status: status, Err: err}
}

// Permanent wraps err as a failure that retrying cannot mend.
func Permanent(status string, err error) error {
	return &Error{Status: status, Err: err}
}

// IsPermanent reports whether err says the part can never be sent. Errors
// that are not classified are temporary: losing a message is worse than
// retrying one.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && !e.Temporary
}

// IsInDoubt reports whether the network may have accepted the part despite err.
func IsInDoubt(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.InDoubt
}
