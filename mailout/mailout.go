// Package mailout hands mail that smsbridge writes (delivery reports, and
// later replies from phones) to its destination: a Maildir on local disk or
// a smarthost over SMTP.
package mailout

import (
	"context"
	"errors"
	"fmt"

	"github.com/smsbridge/smsbridge/internal/mailfmt"
)

// Mail is one message ready to go: the envelope and the whole RFC 5322 text.
// Addresses are in the form go-smtp hands them out, quotes removed
// (mailfmt.ParseUnquoted); they are quoted again where they are written.
type Mail struct {
	From string // envelope sender; "" for the null sender <>
	To   []string
	Data []byte
}

// envelope is a mail's sender and recipients as they are written into
// MAIL FROM and RCPT TO ("" for the null sender). An address that cannot
// be written safely fails the whole mail for good.
func envelope(m *Mail) (from string, to []string, err error) {
	if m.From != "" {
		a, err := mailfmt.ParseUnquoted(m.From)
		if err != nil {
			return "", nil, &Error{Permanent: true, Err: fmt.Errorf("envelope sender: %w", err)}
		}
		from = a.String()
	}
	if len(m.To) == 0 {
		return "", nil, &Error{Permanent: true, Err: errors.New("no recipients")}
	}
	for _, r := range m.To {
		a, err := mailfmt.ParseUnquoted(r)
		if err != nil {
			return "", nil, &Error{Permanent: true, Err: fmt.Errorf("recipient: %w", err)}
		}
		to = append(to, a.String())
	}
	return from, to, nil
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
