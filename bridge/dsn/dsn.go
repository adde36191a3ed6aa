// Package dsn writes delivery status notifications (RFC 3464) for SMS: the
// mail smsbridge sends back to a sender when its text reached a phone or
// could not.
package dsn

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"

	"github.com/smsbridge/smsbridge/internal/mailfmt"
)

// Action is the RFC 3464 action of a report.
type Action string

const (
	Delivered Action = "delivered"
	Failed    Action = "failed"
	Delayed   Action = "delayed"
)

// Report describes the outcome for one recipient number of one mail.
type Report struct {
	Hostname  string    // Reporting-MTA
	From      string    // header From address of the report, unquoted (mailfmt.ParseUnquoted)
	To        string    // the original envelope sender, unquoted
	Subject   string    // the original subject
	MessageID string    // the original Message-ID, with angle brackets
	EnvID     string    // RFC 3461 ENVID, echoed
	Arrival   time.Time // when the mail was accepted
	Date      time.Time // when the outcome was known

	Recipient string // the RCPT TO address as given
	ORCPT     string // RFC 3461 ORCPT as given ("rfc822;addr")
	Number    string // the number, formatted for people ("+1 415-123-4567")
	Action    Action
	Status    string // RFC 3463 code, e.g. "2.0.0", "5.1.1", "5.4.7"
	Reason    string // what went wrong, for people; "" when delivered
	Diagnosis string // the network's own words, e.g. "stat:UNDELIV err:001"
	Transport string // the route that carried it, for Remote-MTA
	Omitted   string // what the SMS left out of the mail, for people; "" when nothing

	Headers    []byte    // the original header block, returned as text/rfc822-headers
	Original   []byte    // the whole original (RET=FULL), returned as message/rfc822 instead
	RetryUntil time.Time // for delay notices: when the gateway gives up
	// Notes are more lines for people after the outcome, e.g. that a part
	// may have reached the phone twice.
	Notes []string
}

// Compose returns the whole report mail with CRLF line ends. Its header,
// the delivery-status fields and the part headers are written by
// go-message from values made safe by mailfmt; it fails when the report's
// sender or recipient cannot be written as an address.
func Compose(r *Report) ([]byte, error) {
	to, err := mailfmt.ParseUnquoted(r.To)
	if err != nil {
		return nil, fmt.Errorf("dsn: report recipient: %w", err)
	}
	from, err := mailfmt.ParseUnquoted(r.From)
	if err != nil {
		return nil, fmt.Errorf("dsn: report sender: %w", err)
	}
	var h mailfmt.Fields
	h.AddAddress("From", "SMS gateway", from)
	h.AddAddress("To", "", to)
	h.AddText("Subject", subjectPrefix(r.Action)+r.Subject)
	h.Add("Date", r.Date.Format(time.RFC1123Z))
	h.AddMsgID("Message-ID", randomToken()+"@"+r.Hostname)
	if id, ok := mailfmt.MsgID(r.MessageID); ok {
		h.AddMsgID("In-Reply-To", id)
		h.AddMsgID("References", id)
	}
	h.Add("Auto-Submitted", "auto-replied")
	h.Add("MIME-Version", "1.0")
	h.Add("Content-Type", mime.FormatMediaType("multipart/report", map[string]string{"report-type": "delivery-status", "boundary": randomToken()}))

	var b bytes.Buffer
	mw, err := message.CreateWriter(&b, h.Header())
	if err != nil {
		return nil, fmt.Errorf("dsn: %w", err)
	}
	if err := writePart(mw, "text/plain; charset=utf-8", "8bit", []byte(humanText(r))); err != nil {
		return nil, err
	}
	if err := writePart(mw, "message/delivery-status", "", status(r)); err != nil {
		return nil, err
	}
	switch {
	case len(r.Original) > 0:
		err = writePart(mw, "message/rfc822", "", mailfmt.CRLF(r.Original))
	case len(r.Headers) > 0:
		// The header block keeps its terminating empty line.
		err = writePart(mw, "text/rfc822-headers", "", append(mailfmt.CRLF(bytes.TrimRight(r.Headers, "\r\n")), "\r\n\r\n"...))
	}
	if err != nil {
		return nil, err
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("dsn: %w", err)
	}
	return b.Bytes(), nil
}

func writePart(mw *message.Writer, contentType, encoding string, body []byte) error {
	var h mailfmt.Fields
	h.Add("Content-Type", contentType)
	if encoding != "" {
		h.Add("Content-Transfer-Encoding", encoding)
	}
	w, err := mw.CreatePart(h.Header())
	if err == nil {
		_, err = w.Write(body)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return fmt.Errorf("dsn: %w", err)
	}
	return nil
}

func subjectPrefix(a Action) string {
	switch a {
	case Delivered:
		return "Delivered: "
	case Delayed:
		return "Delayed: "
	}
	return "Undeliverable: "
}

// humanText is the part for people. The reason may be the network's
// words, so it is kept to one line like every other echoed value.
func humanText(r *Report) string {
	text := outcomeText(r) + omittedText(r.Omitted)
	for _, n := range r.Notes {
		text += mailfmt.Text(n) + "\r\n"
	}
	return text
}

func outcomeText(r *Report) string {
	number := mailfmt.Text(r.Number)
	when := r.Date.UTC().Format("2006-01-02 15:04:05 MST")
	switch r.Action {
	case Delivered:
		return fmt.Sprintf("Delivered to %s at %s.\r\n", number, when)
	case Delayed:
		return fmt.Sprintf("Not yet delivered to %s: %s.\r\nThe gateway keeps trying; you will be told when it succeeds or gives up.\r\n", number, orUnknown(r.Reason))
	}
	return fmt.Sprintf("Not delivered: %s: %s.\r\n", number, orUnknown(r.Reason))
}

// omittedText tells the sender what of the mail the SMS does not carry.
func omittedText(omitted string) string {
	if omitted == "" {
		return ""
	}
	return fmt.Sprintf("The SMS does not carry everything in your mail: it left out %s.\r\n", mailfmt.Text(omitted))
}

func orUnknown(s string) string {
	if s = mailfmt.Text(s); s == "" {
		return "no reason given"
	}
	return s
}

// status writes the message/delivery-status body: the per-message fields,
// then the recipient's. Everything echoed from the sender's session (ENVID,
// ORCPT, the recipient) or from the network (the diagnosis) is made one
// line of text.
func status(r *Report) []byte {
	var msg mailfmt.Fields
	msg.Add("Reporting-MTA", "dns; "+r.Hostname)
	if r.EnvID != "" {
		msg.Add("Original-Envelope-Id", mailfmt.Text(r.EnvID))
	}
	if !r.Arrival.IsZero() {
		msg.Add("Arrival-Date", r.Arrival.Format(time.RFC1123Z))
	}
	var rcpt mailfmt.Fields
	if r.ORCPT != "" {
		rcpt.Add("Original-Recipient", addrType(mailfmt.Text(r.ORCPT)))
	}
	rcpt.Add("Final-Recipient", "rfc822; "+recipient(r.Recipient))
	rcpt.Add("Action", string(r.Action))
	rcpt.Add("Status", mailfmt.Text(r.Status))
	if r.Transport != "" {
		rcpt.Add("Remote-MTA", "x-sms; "+mailfmt.Text(r.Transport))
	}
	if r.Diagnosis != "" {
		rcpt.Add("Diagnostic-Code", "x-sms; "+mailfmt.Text(r.Diagnosis))
	}
	rcpt.Add("Last-Attempt-Date", r.Date.Format(time.RFC1123Z))
	if !r.RetryUntil.IsZero() {
		rcpt.Add("Will-Retry-Until", r.RetryUntil.Format(time.RFC1123Z))
	}
	var b bytes.Buffer
	// Into a buffer, go-message's writer fails only on a line break in a
	// value, which mailfmt.Fields never holds.
	_ = textproto.WriteHeader(&b, msg.Header().Header)
	_ = textproto.WriteHeader(&b, rcpt.Header().Header)
	return b.Bytes()
}

// recipient writes the RCPT TO address as an addr-spec, quoted where it
// must be; one it cannot write as an address stays text.
func recipient(addr string) string {
	if a, err := mailfmt.ParseUnquoted(addr); err == nil {
		return a.String()
	}
	return mailfmt.Text(addr)
}

func randomToken() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// addrType writes the address type of an ORCPT ("RFC822;a@b") in lower
// case, as reports conventionally do; the address stays as given.
func addrType(orcpt string) string {
	typ, addr, ok := strings.Cut(orcpt, ";")
	if !ok {
		return orcpt
	}
	return strings.ToLower(strings.TrimSpace(typ)) + ";" + addr
}
