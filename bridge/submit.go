package bridge

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/smsbridge/smsbridge/bridge/mailtext"
	"github.com/smsbridge/smsbridge/carriers"
	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/store"
)

const maxStoredHeader = 16 << 10 // header bytes kept for reports

// Recipient answers for one recipient address of a mail from SMTP user
// user ("" when none): the E.164 numbers it stands for, or a *Refusal (or
// the policy's own error).
func (g *Gateway) Recipient(_ context.Context, user, address string) ([]string, error) {
	local, domain, ok := splitAddress(address)
	if !ok {
		return nil, refuse(ErrBadAddress, "Bad recipient address syntax")
	}
	if !g.servesDomain(domain) {
		return nil, refuse(ErrNotServed, "Relaying denied: "+domain+" is not an SMS domain served here")
	}
	numbers, alias, err := g.lookup(local)
	if err != nil {
		return nil, refuse(ErrBadRecipient, local+": "+numberReason(err))
	}
	if err := g.pol.AllowRecipient(user, alias, numbers); err != nil {
		return nil, err
	}
	kept, since, err := g.optedIn(numbers)
	if err != nil {
		return nil, storeUnavailable(err)
	}
	if len(kept) == 0 {
		return nil, refuse(ErrOptedOut, local+" has opted out of SMS from this gateway (replied STOP on "+since.UTC().Format("2006-01-02")+")")
	}
	return kept, nil
}

// lookup turns the local part of an address into the numbers it stands
// for: an alias's (alias is then its name), else its own E.164 form. The
// error is a *carriers.NumberError when it is neither.
func (g *Gateway) lookup(local string) (numbers []string, alias string, err error) {
	name := strings.ToLower(local)
	if numbers, ok := g.conf().Aliases[name]; ok {
		return numbers, name, nil
	}
	n, err := g.conf().Numbers.Normalize(local)
	if err != nil {
		return nil, "", err
	}
	return []string{n}, "", nil
}

// optedIn drops the numbers that replied STOP; since is when the last one
// dropped did.
func (g *Gateway) optedIn(numbers []string) (kept []string, since time.Time, err error) {
	kept = make([]string, 0, len(numbers))
	for _, n := range numbers {
		out, at, err := g.st.OptedOut(n)
		if err != nil {
			return nil, time.Time{}, err
		}
		if out {
			since = at
			continue
		}
		kept = append(kept, n)
	}
	return kept, since, nil
}

// numberReason is the client-facing reason a number was refused.
func numberReason(err error) string {
	var ne *carriers.NumberError
	if !errors.As(err, &ne) {
		return err.Error()
	}
	if ne.Reason == notANumber {
		return ne.Reason + ` (write a number as 4155552501 or +14155552501, quoted when it has spaces or parentheses: "+1 415 555 2501"@domain; or name an alias)`
	}
	return ne.Reason
}

// notANumber is carriers' reason for a local part that is neither digits
// and separators nor, here, an alias.
const notANumber = "not a phone number"

func splitAddress(address string) (local, domain string, ok bool) {
	i := strings.LastIndexByte(address, '@')
	if i <= 0 || i == len(address)-1 {
		return "", "", false
	}
	local = strings.Trim(address[:i], `"`)
	domain = strings.TrimSuffix(strings.ToLower(address[i+1:]), ".")
	return local, domain, local != "" && domain != ""
}

func (g *Gateway) servesDomain(domain string) bool {
	if slices.Contains(g.conf().Domains, domain) {
		return true
	}
	return g.conf().AcceptCarrierDomains && carriers.IsGatewayDomain(domain)
}

// Submit converts the mail to SMS parts for every accepted recipient and
// stores it durably before returning its id. Its errors are a *Refusal or
// the policy's own.
func (g *Gateway) Submit(ctx context.Context, env Mail, data []byte) (string, error) {
	res, msg, err := g.conf().Convert(data)
	if err != nil {
		return "", err
	}
	for _, w := range res.Warnings {
		g.log.Info("mail conversion", "conn_id", env.ConnID, "warning", w)
	}
	m := g.newMessage(env.From, res, data)
	m.Omitted = omitted(res, msg)
	m.EnvID, m.Ret = env.EnvID, env.Ret
	m.Class = g.mailClass(env, data)
	if env.Ret == "FULL" {
		m.Original = data // RFC 3461: reports return the whole mail
	}
	seen := map[string]bool{}
	for _, rcpt := range env.Recipients {
		for _, n := range rcpt.Numbers {
			if seen[n] {
				continue // one SMS per number, however often it was named
			}
			seen[n] = true
			m.Recipients = append(m.Recipients, store.Recipient{
				Address: rcpt.Address, Number: n, ORCPT: rcpt.ORCPT,
				Notify: g.notify(rcpt.Notify), Parts: g.parts(msg),
			})
		}
	}
	if len(m.Recipients) == 0 {
		return "", refuse(ErrNoRecipients, "No valid recipients")
	}
	g.asCampaign(m)
	parts := len(m.Recipients) * len(msg.Parts)
	if err := g.pol.ChargeParts(ctx, env.User, env.From, parts); err != nil {
		return "", err
	}
	if err := g.st.Enqueue(ctx, m); err != nil {
		g.pol.RefundParts(env.User, env.From, parts)
		return "", storeUnavailable(err)
	}
	g.obs.MessageQueued("smtp", len(m.Recipients), parts)
	g.log.Debug("mail queued", "conn_id", env.ConnID, "msg_id", m.ID, "from", env.From, "recipients", len(m.Recipients),
		"parts", len(msg.Parts), "encoding", msg.Encoding.String(), "class", m.Class.String())
	g.dispatch.kick()
	return m.ID, nil
}

// Convert reduces a mail to its SMS text and parts without storing anything.
// Its errors are a *Refusal: ErrUnreadable, ErrEmpty, ErrTooLong or ErrNotSMS.
func (c *Config) Convert(data []byte) (*mailtext.Result, sms.Message, error) {
	res, err := mailtext.Extract(bytes.NewReader(data), c.Text)
	if err != nil {
		return nil, sms.Message{}, refuse(ErrUnreadable, "Message could not be read as mail: "+err.Error())
	}
	msg, err := sms.Build(res.Text, c.SMS)
	switch {
	case errors.Is(err, sms.ErrEmpty):
		return res, msg, refuse(ErrEmpty, "Empty message: nothing left to send as SMS")
	case errors.Is(err, sms.ErrTooLong):
		return res, msg, refuse(ErrTooLong, fmt.Sprintf("Message too long: it needs more than %d SMS parts", max(c.SMS.MaxParts, 1)))
	case err != nil:
		return res, msg, refuse(ErrNotSMS, "Message cannot be sent as SMS: "+err.Error())
	}
	return res, msg, nil
}

func (g *Gateway) newMessage(sender string, res *mailtext.Result, data []byte) *store.Message {
	now := g.now()
	m := &store.Message{
		ID: store.NewID(), Received: now, Sender: sender,
		Subject: res.Subject, MessageID: res.MessageID, Header: headerBlock(data),
	}
	if g.conf().Validity > 0 {
		m.Expires = now.Add(g.conf().Validity)
	}
	return m
}

// parts gives one recipient its own copy of the parts, with a concatenation
// reference of its own so phones never merge two messages.
func (g *Gateway) parts(msg sms.Message) []store.Part {
	ref := g.refs.next()
	parts := make([]store.Part, len(msg.Parts))
	for i, p := range msg.Parts {
		parts[i] = store.Part{Encoding: msg.Encoding, Text: p.Text, Payload: p.Payload, Ref: ref, Seq: p.Seq, Total: p.Total, State: store.PartQueued}
	}
	return parts
}

// notify resolves a recipient's DSN NOTIFY list against the receipt mode.
func (g *Gateway) notify(dsnNotify []string) store.Notify {
	if dsnNotify != nil {
		var n store.Notify
		for _, v := range dsnNotify {
			switch strings.ToUpper(v) {
			case "NEVER":
				return 0
			case "SUCCESS":
				n |= store.NotifySuccess
			case "FAILURE":
				n |= store.NotifyFailure
			case "DELAY":
				n |= store.NotifyDelay
			}
		}
		return n
	}
	switch g.conf().ReceiptMode {
	case "all":
		return store.NotifySuccess | store.NotifyFailure | store.NotifyDelay
	case "none":
		return 0
	}
	return store.NotifyFailure | store.NotifyDelay
}

// headerBlock returns the mail's header section, for reports (RET=HDRS).
// Blank lines in front of it, which the conversion skips, are skipped too.
func headerBlock(data []byte) []byte {
	data = skipLeadingBlankLines(data)
	end := len(data)
	if i := bytes.Index(data, []byte("\r\n\r\n")); i >= 0 {
		end = i + 2
	} else if i := bytes.Index(data, []byte("\n\n")); i >= 0 {
		end = i + 1
	}
	return bytes.Clone(data[:min(end, maxStoredHeader)])
}

// refCounter hands out 8-bit concatenation references. Consecutive messages
// get different references; the start is random so a restart does not reuse
// the last ones.
type refCounter struct{ n atomic.Uint32 }

func (r *refCounter) seed() {
	var b [4]byte
	rand.Read(b[:])
	r.n.Store(binary.LittleEndian.Uint32(b[:]))
}

func (r *refCounter) next() uint8 { return uint8(r.n.Add(1)) }
