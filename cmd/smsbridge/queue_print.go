package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/api"
)

const timeFmt = "2006-01-02 15:04:05"

// printQueue prints what a queue command returned for people.
func printQueue(w io.Writer, out any) {
	switch v := out.(type) {
	case api.ListView:
		printList(w, v)
	case api.MessageView:
		printMessage(w, v)
	case api.RetryView:
		fmt.Fprintf(w, "%s: %d parts due now\n", v.ID, v.Queued)
	case api.CancelView:
		fmt.Fprintf(w, "%s: %d parts cancelled\n", v.Message.ID, v.Cancelled)
		printMessage(w, v.Message)
	}
}

func printList(w io.Writer, v api.ListView) {
	if len(v.Messages) == 0 {
		fmt.Fprintln(w, "no messages")
	}
	for _, m := range v.Messages {
		var to []string
		for _, r := range m.Recipients {
			to = append(to, r.Number)
		}
		fmt.Fprintf(w, "%s  %s  %-10s  %-24s  %s -> %s\n", m.ID, m.Received.Local().Format(timeFmt), m.State,
			partCounts(m.Parts), orNone(m.Sender), strings.Join(to, ","))
	}
	if v.Next != "" {
		fmt.Fprintf(w, "more: queue list -before %s\n", v.Next)
	}
}

// partCounts prints counts by state in the order of a part's life.
func partCounts(parts map[string]int) string {
	var out []string
	for _, k := range []string{"queued", "submitting", "submitted", "delivered", "failed", "expired", "cancelled"} {
		if n := parts[k]; n > 0 {
			out = append(out, fmt.Sprintf("%s:%d", k, n))
		}
	}
	return strings.Join(out, " ")
}

func orNone(s string) string {
	if s == "" {
		return "<>"
	}
	return s
}

func printMessage(w io.Writer, m api.MessageView) {
	fmt.Fprintf(w, "id:       %s\nstate:    %s\nreceived: %s\n", m.ID, m.State, m.Received.Local().Format(timeFmt))
	if m.Expires != nil {
		fmt.Fprintf(w, "expires:  %s\n", m.Expires.Local().Format(timeFmt))
	}
	fmt.Fprintf(w, "sender:   %s\nclass:    %s\n", orNone(m.Sender), m.Class)
	if m.Subject != "" {
		fmt.Fprintf(w, "subject:  %s\n", m.Subject)
	}
	for _, r := range m.Recipients {
		fmt.Fprintf(w, "to %s (%s): %s\n", r.Number, r.Address, r.State)
		for _, p := range r.Parts {
			fmt.Fprintf(w, "  part %d/%d  %-10s  attempts %d  updated %s%s\n", p.Seq, max(p.Total, 1), p.State, p.Attempts,
				p.Updated.Local().Format(timeFmt), partExtras(p))
		}
	}
}

func partExtras(p api.PartView) string {
	var b strings.Builder
	if p.Transport != "" {
		fmt.Fprintf(&b, "  via %s", p.Transport)
	}
	if p.TransportID != "" {
		fmt.Fprintf(&b, " id %s", p.TransportID)
	}
	if p.AlsoID != "" {
		fmt.Fprintf(&b, " and %s", p.AlsoID)
	}
	if p.Receipt != "" {
		fmt.Fprintf(&b, "  receipt %s", p.Receipt)
	}
	if p.MovedFrom != "" {
		fmt.Fprintf(&b, "  sent again as a whole (first through %s)", p.MovedFrom)
	}
	if p.MaybeTwice {
		b.WriteString("  may have been delivered twice")
	} else if p.InDoubt > 0 {
		fmt.Fprintf(&b, "  in doubt %d", p.InDoubt)
	}
	if p.NextAttempt != nil {
		fmt.Fprintf(&b, "  next %s", time.Until(*p.NextAttempt).Round(time.Second))
	}
	if p.Error != "" {
		fmt.Fprintf(&b, "  error: %s", p.Error)
	}
	return b.String()
}
