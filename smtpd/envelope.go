package smtpd

import (
	"context"
	"net"
)

// Recipient is one accepted RCPT TO.
type Recipient struct {
	Address string // as given in RCPT TO, angle brackets removed
	// Notify holds the DSN NOTIFY values in upper case ("SUCCESS",
	// "FAILURE", "DELAY", "NEVER"); nil when the client gave none.
	Notify []string
	// ORCPT is the DSN original recipient as "addr-type;address" with the
	// xtext decoded, e.g. "RFC822;alerts@example.com"; "" when not given.
	ORCPT string
	// Numbers are the E.164 numbers Backend.Recipient resolved the address
	// to (an alias stands for several).
	Numbers []string
}

// Envelope is one mail transaction as the client declared it.
type Envelope struct {
	ID         string // connection id, for logs
	RemoteAddr net.Addr
	Helo       string
	User       string // authenticated user; "" if none
	TLS        bool   // the session is encrypted (STARTTLS or implicit TLS)
	Trusted    bool   // the client is on a trusted network
	From       string // "" for the null sender <>
	Ret        string // DSN RET: "", "HDRS" or "FULL"
	EnvID      string // DSN ENVID, xtext decoded
	Recipients []Recipient
}

// Backend is what the SMTP server needs from the gateway.
type Backend interface {
	// Recipient checks one RCPT TO address before it is answered and
	// returns the numbers it stands for, kept in Recipient.Numbers. A
	// non-nil error should be an
	// *Error (550 5.7.1 relaying denied, 550 5.1.1 bad number, ...); any
	// other error is answered 451 4.3.0.
	Recipient(ctx context.Context, env *Envelope, address string) ([]string, error)
	// Submit stores the mail durably and returns its queue id. It is called
	// once per DATA with every accepted recipient; 250 is answered only
	// after it returns nil.
	Submit(ctx context.Context, env *Envelope, data []byte) (queueID string, err error)
}
