// Package mailout hands mail that smsbridge writes (delivery reports, and
// later replies from phones) to its destination: a Maildir on local disk or
// a smarthost over SMTP.
package mailout

import (
	"context"
	"errors"
)

// Mail is one message ready to go: the envelope and the whole RFC 5322 text.
type Mail struct {
	From string // envelope sender; "" for the null sender <>
	To   []string
	Data []byte
}

// Error is a failed delivery, saying whether trying again later may help.
type Error struct {
	Permanent bool
	Err       error
}

func (e *Error) Error() string {
	if e.Permanent {
		return "permanent: " + e.Err.Error()
	}
	return "temporary: " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// IsPermanent reports whether retrying the delivery cannot succeed.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// Deliverer delivers one mail; it returns only once the mail is safe at its
// destination.
type Deliverer interface {
	Deliver(ctx context.Context, m *Mail) error
}
