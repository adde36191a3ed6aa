package smtpd

import "context"

// Policy decides who may send what, after the server's own checks (trusted
// network or AUTH, address syntax, sizes). Each method returns nil or an
// error that is answered as reply does: an *Error keeps its code, anything
// else is a 451 4.3.0.
type Policy interface {
	// Mail decides MAIL FROM; env has From, User, RemoteAddr, Helo, TLS
	// and Trusted set.
	Mail(ctx context.Context, env *Envelope) error
	// Rcpt decides one more RCPT TO before the backend sees it; env holds
	// the recipients accepted so far.
	Rcpt(ctx context.Context, env *Envelope, address string) error
	// Data checks the message before it is submitted and returns it, maybe
	// with a header added (Authentication-Results).
	Data(ctx context.Context, env *Envelope, body []byte) ([]byte, error)
}
