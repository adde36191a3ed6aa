package bridge

import "errors"

// The kinds of refusal of Recipient, Submit and Convert, with
// ErrBadRecipient (a local part that is no usable number or alias) and
// ErrOptedOut. Each comes as a *Refusal that says why in words for the
// sender; errors.Is tells the kind, and the SMTP side (bridge/smtpbackend)
// answers each kind with its own reply code.
var (
	ErrBadAddress       = errors.New("bad recipient address")
	ErrNotServed        = errors.New("not an SMS domain served here")
	ErrNoRecipients     = errors.New("no valid recipients")
	ErrUnreadable       = errors.New("not readable as mail")
	ErrEmpty            = errors.New("nothing to send")
	ErrTooLong          = errors.New("too long")
	ErrNotSMS           = errors.New("cannot be sent as SMS")
	ErrStoreUnavailable = errors.New("queue unavailable")
)

// Refusal is an address or a mail the gateway refuses, or cannot take now.
type Refusal struct {
	Kind   error  // one of the Err values above
	Reason string // why, for the sender
	Err    error  // cause; logged, never shown
}

func refuse(kind error, reason string) *Refusal { return &Refusal{Kind: kind, Reason: reason} }

func (r *Refusal) Error() string {
	if r.Err != nil {
		return r.Reason + ": " + r.Err.Error()
	}
	return r.Reason
}

// Is makes errors.Is(r, r.Kind) true.
func (r *Refusal) Is(target error) bool { return target == r.Kind }

func (r *Refusal) Unwrap() error { return r.Err }

// storeUnavailable is a store that failed to answer: the sender may try
// again later.
func storeUnavailable(err error) *Refusal {
	return &Refusal{Kind: ErrStoreUnavailable, Reason: "Queue unavailable, try again later", Err: err}
}
