package kannel

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

// Kannel's delivery report values (the dlr-mask bits and %d).
const (
	dlrDelivered    = 1  // delivered to the phone
	dlrUndelivered  = 2  // not delivered to the phone
	dlrBuffered     = 4  // queued (here: waiting for a retry after a failed attempt)
	dlrSMSCAccepted = 8  // the network took it
	dlrSMSCRejected = 16 // the network refused it, or it never got there
	// toldFinal marks, in a watch's Told, a recipient whose last report is queued.
	toldFinal = 0x80
)

// watchOwner names Kannel's watches and callbacks in the store.
const watchOwner = "kannel"

// follow is what a watch keeps of a sendsms request: enough to expand
// the dlr-url for each report.
type follow struct {
	URL  string // the dlr-url template
	Mask int
	From string // the request's from, %P
	User string // the sendsms user, %n
}

func (f follow) encode() []byte {
	v := url.Values{"u": {f.URL}, "m": {strconv.Itoa(f.Mask)}, "f": {f.From}, "n": {f.User}}
	return []byte(v.Encode())
}

func decodeFollow(b []byte) (follow, error) {
	v, err := url.ParseQuery(string(b))
	if err != nil {
		return follow{}, err
	}
	mask, err := strconv.Atoi(v.Get("m"))
	if err != nil {
		return follow{}, err
	}
	return follow{URL: v.Get("u"), Mask: mask, From: v.Get("f"), User: v.Get("n")}, nil
}

// report is one delivery report for one recipient.
type report struct {
	Value     int    // %d
	Reply     string // %A: the network's answer
	SMSC      string // %i: the transport
	Number    string // the phone, %p
	Time      time.Time
	ID        string // smsbridge's message id, %I
	NetworkID string // the network's id of the first part, %F
}

// reached lists the reports a recipient's parts have earned, in the order
// Kannel sends them, and whether the recipient is final. A recipient is
// reported as a whole: one report for all of its parts, as Kannel does for
// a message it split.
func reached(parts []store.Part) (reps []report, final bool) {
	accepted, final, delivered, neverSent, buffered := true, true, true, false, false
	var smsc, tid, why string
	var last time.Time
	for _, p := range parts {
		if p.TransportID == "" && p.AlsoID == "" {
			accepted = false
		}
		if !p.State.Final() {
			final = false
		}
		if p.State != store.PartDelivered {
			delivered = false
		}
		if p.State.Final() && p.State != store.PartDelivered && p.TransportID == "" && p.AlsoID == "" {
			neverSent = true
		}
		if p.State == store.PartQueued && p.Attempts > 0 {
			buffered = true
		}
		if p.Transport != "" {
			smsc = p.Transport
		}
		if tid == "" {
			tid = p.TransportID
		}
		if p.Error != "" && p.State != store.PartDelivered {
			why = p.Error
		}
		if p.Updated.After(last) {
			last = p.Updated
		}
	}
	add := func(v int, reply string) {
		reps = append(reps, report{Value: v, Reply: reply, SMSC: smsc, Time: last, NetworkID: tid})
	}
	if buffered && !final {
		add(dlrBuffered, "BUFFERED/"+why)
	}
	if accepted {
		add(dlrSMSCAccepted, "ACK/")
	}
	switch {
	case !final:
	case delivered:
		add(dlrDelivered, "DELIVRD")
	case neverSent:
		add(dlrSMSCRejected, "NACK/"+why)
	default:
		add(dlrUndelivered, "UNDELIV/"+why)
	}
	return reps, final
}

// expand fills a dlr-url's escapes for rep, each value URL-encoded:
// %d the report value, %A the network's reply, %i the transport (Kannel's
// smsc-id), %p the phone the SMS went to (the sender of the report, as
// Kannel has it), %P the request's from (the report's receiver), %q and %Q
// the same with a leading 00 as +, %t the report's time
// ("YYYY-MM-DD HH:MM", UTC), %T it in Unix seconds, %n the sendsms user,
// %I smsbridge's message id, %F the network's message id, %% a %. Other
// escapes expand to nothing.
func expand(f follow, rep report) string {
	var b strings.Builder
	t := f.URL
	for i := 0; i < len(t); i++ {
		if t[i] != '%' || i+1 == len(t) {
			b.WriteByte(t[i])
			continue
		}
		i++
		var v string
		switch t[i] {
		case '%':
			b.WriteByte('%')
			continue
		case 'd':
			v = strconv.Itoa(rep.Value)
		case 'A':
			v = rep.Reply
		case 'i':
			v = rep.SMSC
		case 'p':
			v = rep.Number
		case 'P':
			v = f.From
		case 'q':
			v = plus(rep.Number)
		case 'Q':
			v = plus(f.From)
		case 't':
			v = rep.Time.UTC().Format("2006-01-02 15:04")
		case 'T':
			v = strconv.FormatInt(rep.Time.Unix(), 10)
		case 'n':
			v = f.User
		case 'I':
			v = rep.ID
		case 'F':
			v = rep.NetworkID
		}
		b.WriteString(url.QueryEscape(v))
	}
	return b.String()
}

func plus(number string) string {
	if rest, ok := strings.CutPrefix(number, "00"); ok {
		return "+" + rest
	}
	return number
}
