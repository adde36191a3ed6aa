package smpp

import (
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/transport"
)

// ReceiptText is what the text of an SMSC delivery receipt says (SMPP 3.4
// Appendix B). Fields the text lacks are empty or zero.
type ReceiptText struct {
	ID         string
	Submitted  string // "sub:" count, as written
	Delivered  string // "dlvrd:" count, as written
	SubmitDate time.Time
	DoneDate   time.Time
	Stat       string // as written, upper-cased
	State      transport.ReceiptState
	Err        string
	Text       string
}

// ErrNotReceipt is returned for text with neither an id nor a stat field.
var ErrNotReceipt = errors.New("smpp: not a delivery receipt")

// receiptKey finds the field names; longer names come first so that
// "submit date" is not read as "sub". Underscores and missing spaces are
// tolerated, as SMSCs write them all ways.
var receiptKey = regexp.MustCompile(`(?i)(?:^|[\s,;])(submit[ _]?date|done[ _]?date|dlvrd|sub|stat|err|text|id)\s*:`)

// ParseReceipt reads the text of a delivery receipt in any field order,
// ignoring case and tolerating missing fields. The first occurrence of a
// field wins, so a "text:" quoting another receipt cannot override it.
func ParseReceipt(text string) (ReceiptText, error) {
	var r ReceiptText
	locs := receiptKey.FindAllStringSubmatchIndex(text, -1)
	seen := make(map[string]bool, len(locs))
	for i, loc := range locs {
		key := normKey(text[loc[2]:loc[3]])
		end := len(text)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		r.set(key, strings.TrimSpace(text[loc[1]:end]))
	}
	if !seen["id"] && !seen["stat"] {
		return ReceiptText{}, ErrNotReceipt
	}
	return r, nil
}

// keySeparators are dropped from field names ("submit_date" → "submitdate").
var keySeparators = strings.NewReplacer(" ", "", "_", "")

func normKey(k string) string {
	return keySeparators.Replace(strings.ToLower(k))
}

func (r *ReceiptText) set(key, v string) {
	switch key {
	case "id":
		r.ID = v
	case "sub":
		r.Submitted = v
	case "dlvrd":
		r.Delivered = v
	case "submitdate":
		r.SubmitDate = parseReceiptDate(v)
	case "donedate":
		r.DoneDate = parseReceiptDate(v)
	case "stat":
		r.Stat = strings.ToUpper(v)
		r.State = stateFromText(r.Stat)
	case "err":
		r.Err = v
	case "text":
		r.Text = v
	}
}

// parseReceiptDate reads YYMMDDhhmm or YYMMDDhhmmss, taken as UTC (the
// specification gives no zone); anything else gives the zero time.
func parseReceiptDate(v string) time.Time {
	for _, layout := range []string{"060102150405", "0601021504"} {
		if len(v) == len(layout) {
			if t, err := time.Parse(layout, v); err == nil {
				return t
			}
		}
	}
	return time.Time{}
}

var textStates = map[string]transport.ReceiptState{
	"DELIVRD": transport.StateDelivered, "DELIVERED": transport.StateDelivered,
	"EXPIRED": transport.StateExpired,
	"DELETED": transport.StateDeleted,
	"UNDELIV": transport.StateUndeliverable, "UNDELIVERABLE": transport.StateUndeliverable,
	"FAILED":  transport.StateUndeliverable,
	"ACCEPTD": transport.StateAccepted, "ACCEPTED": transport.StateAccepted,
	"UNKNOWN": transport.StateUnknown,
	"REJECTD": transport.StateRejected, "REJECTED": transport.StateRejected,
	"ENROUTE": transport.StateEnroute,
}

func stateFromText(s string) transport.ReceiptState {
	return textStates[s] // absent: StateUnknown
}

// stateFromTLV maps the message_state TLV (SMPP 3.4 §5.2.28).
func stateFromTLV(v uint32) transport.ReceiptState {
	switch v {
	case 1:
		return transport.StateEnroute
	case 2:
		return transport.StateDelivered
	case 3:
		return transport.StateExpired
	case 4:
		return transport.StateDeleted
	case 5:
		return transport.StateUndeliverable
	case 6:
		return transport.StateAccepted
	case 8:
		return transport.StateRejected
	}
	return transport.StateUnknown
}
