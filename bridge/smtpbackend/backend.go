// Package smtpbackend is the SMTP side of the gateway: it answers the SMTP
// server's Backend calls with the bridge, and turns the bridge's refusals
// into SMTP replies, all in one table. The bridge itself knows nothing of
// SMTP.
package smtpbackend

import (
	"context"
	"errors"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/smtpd"
)

// Gateway is what the SMTP server's mail goes to.
type Gateway interface {
	Recipient(ctx context.Context, user, address string) ([]string, error)
	Submit(ctx context.Context, m bridge.Mail, data []byte) (string, error)
}

// Backend implements smtpd.Backend for a Gateway.
type Backend struct{ gw Gateway }

// New returns the SMTP backend of gw.
func New(gw Gateway) *Backend { return &Backend{gw: gw} }

// Recipient answers RCPT TO for one address.
func (b *Backend) Recipient(ctx context.Context, env *smtpd.Envelope, address string) ([]string, error) {
	numbers, err := b.gw.Recipient(ctx, env.User, address)
	if err != nil {
		return nil, Reply(err)
	}
	return numbers, nil
}

// Submit hands the mail of one DATA to the gateway.
func (b *Backend) Submit(ctx context.Context, env *smtpd.Envelope, data []byte) (string, error) {
	m := bridge.Mail{ConnID: env.ID, User: env.User, From: env.From, Ret: env.Ret, EnvID: env.EnvID}
	for _, r := range env.Recipients {
		m.Recipients = append(m.Recipients, bridge.MailRecipient{Address: r.Address, Numbers: r.Numbers, Notify: r.Notify, ORCPT: r.ORCPT})
	}
	id, err := b.gw.Submit(ctx, m, data)
	if err != nil {
		return "", Reply(err)
	}
	return id, nil
}

// reply is the SMTP answer to one kind of refusal.
type reply struct {
	code     int
	enhanced [3]int
}

// replies answers each kind of bridge.Refusal.
var replies = map[error]reply{
	bridge.ErrBadAddress:       {550, [3]int{5, 1, 3}},
	bridge.ErrNotServed:        {550, [3]int{5, 7, 1}}, // relaying denied
	bridge.ErrBadRecipient:     {550, [3]int{5, 1, 1}},
	bridge.ErrOptedOut:         {550, [3]int{5, 7, 1}},
	bridge.ErrNoRecipients:     {554, [3]int{5, 5, 1}},
	bridge.ErrUnreadable:       {554, [3]int{5, 6, 0}},
	bridge.ErrEmpty:            {554, [3]int{5, 6, 0}},
	bridge.ErrTooLong:          {554, [3]int{5, 6, 0}},
	bridge.ErrNotSMS:           {554, [3]int{5, 6, 0}},
	bridge.ErrStoreUnavailable: {451, [3]int{4, 3, 0}},
}

// Reply turns an error of the gateway into the SMTP reply for it: a
// bridge.Refusal by its kind, with its reason as the text. An *smtpd.Error
// (the sender policy's refusals) is returned as it is, and so is any other
// error, which the server answers 451 4.3.0 without its text.
func Reply(err error) error {
	var se *smtpd.Error
	var r *bridge.Refusal
	if errors.As(err, &se) || !errors.As(err, &r) {
		return err
	}
	rp, ok := replies[r.Kind]
	if !ok {
		return err
	}
	return &smtpd.Error{Code: rp.code, Enhanced: rp.enhanced, Message: r.Reason, Err: r.Err}
}
