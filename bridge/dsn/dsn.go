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
	From      string    // header From address of the report
	To        string    // the original envelope sender
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
}

// Compose returns the whole report mail with CRLF line ends.
func Compose(r *Report) []byte {
	boundary := randomToken()
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\r\n", args...) }
	w("From: %s", headerAddress("SMS gateway", r.From))
	w("To: %s", r.To)
	w("Subject: %s%s", subjectPrefix(r.Action), mime.QEncoding.Encode("utf-8", oneLine(r.Subject)))
	w("Date: %s", r.Date.Format(time.RFC1123Z))
	w("Message-ID: <%s@%s>", randomToken(), r.Hostname)
	if r.MessageID != "" {
		w("In-Reply-To: %s", r.MessageID)
		w("References: %s", r.MessageID)
	}
	w("Auto-Submitted: auto-replied")
	w("MIME-Version: 1.0")
	w("Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=%q", boundary)
	w("")
	w("--%s", boundary)
	w("Content-Type: text/plain; charset=utf-8")
	w("Content-Transfer-Encoding: 8bit")
	w("")
	w("%s", humanText(r))
	w("--%s", boundary)
	w("Content-Type: message/delivery-status")
	w("")
	writeStatus(&b, r)
	switch {
	case len(r.Original) > 0:
		w("--%s", boundary)
		w("Content-Type: message/rfc822")
		w("")
		b.Write(crlf(bytes.TrimRight(r.Original, "\r\n")))
		w("")
	case len(r.Headers) > 0:
		w("--%s", boundary)
		w("Content-Type: text/rfc822-headers")
		w("")
		// The header block keeps its terminating empty line; the CRLF
		// after it belongs to the boundary.
		b.Write(crlf(bytes.TrimRight(r.Headers, "\r\n")))
		w("")
		w("")
	}
	w("--%s--", boundary)
	return b.Bytes()
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

func humanText(r *Report) string {
	return outcomeText(r) + omittedText(r.Omitted)
}

func outcomeText(r *Report) string {
	when := r.Date.UTC().Format("2006-01-02 15:04:05 MST")
	switch r.Action {
	case Delivered:
		return fmt.Sprintf("Delivered to %s at %s.\r\n", r.Number, when)
	case Delayed:
		return fmt.Sprintf("Not yet delivered to %s: %s.\r\nThe gateway keeps trying; you will be told when it succeeds or gives up.\r\n", r.Number, orUnknown(r.Reason))
	}
	return fmt.Sprintf("Not delivered: %s: %s.\r\n", r.Number, orUnknown(r.Reason))
}

// omittedText tells the sender what of the mail the SMS does not carry.
func omittedText(omitted string) string {
	if omitted == "" {
		return ""
	}
	return fmt.Sprintf("The SMS does not carry everything in your mail: it left out %s.\r\n", oneLine(omitted))
}

func orUnknown(s string) string {
	if s == "" {
		return "no reason given"
	}
	return s
}

func writeStatus(b *bytes.Buffer, r *Report) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format+"\r\n", args...) }
	w("Reporting-MTA: dns; %s", r.Hostname)
	if r.EnvID != "" {
		w("Original-Envelope-Id: %s", r.EnvID)
	}
	if !r.Arrival.IsZero() {
		w("Arrival-Date: %s", r.Arrival.Format(time.RFC1123Z))
	}
	w("")
	if r.ORCPT != "" {
		w("Original-Recipient: %s", addrType(r.ORCPT))
	}
	w("Final-Recipient: rfc822; %s", r.Recipient)
	w("Action: %s", r.Action)
	w("Status: %s", r.Status)
	if r.Transport != "" {
		w("Remote-MTA: x-sms; %s", r.Transport)
	}
	if r.Diagnosis != "" {
		w("Diagnostic-Code: x-sms; %s", oneLine(r.Diagnosis))
	}
	w("Last-Attempt-Date: %s", r.Date.Format(time.RFC1123Z))
	if !r.RetryUntil.IsZero() {
		w("Will-Retry-Until: %s", r.RetryUntil.Format(time.RFC1123Z))
	}
}

func headerAddress(name, addr string) string {
	if addr == "" {
		return "<>"
	}
	return fmt.Sprintf("%q <%s>", name, addr)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// crlf makes every line end in CRLF, whatever the original used.
func crlf(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
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
