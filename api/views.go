package api

import (
	"time"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/store"
)

// The JSON the API answers with, exported so clients in Go (smsbridge
// queue) read the same types. Field names are part of the contract.

// MessageView is one message with every recipient and part.
type MessageView struct {
	ID         string          `json:"id"`
	State      string          `json:"state"` // of all its parts, see store.RecipientState
	Received   time.Time       `json:"received"`
	Expires    *time.Time      `json:"expires,omitempty"`
	Sender     string          `json:"sender,omitempty"`
	Subject    string          `json:"subject,omitempty"`
	Recipients []RecipientView `json:"recipients"`
	Class      priority.Class  `json:"class"` // urgent | normal | bulk
}

// RecipientView is one recipient number of a message.
type RecipientView struct {
	Address  string     `json:"address"`
	Number   string     `json:"number"`
	State    string     `json:"state"`
	Reported bool       `json:"reported"` // its final report was handed on, or none was due
	Parts    []PartView `json:"parts"`
}

// PartView is one SMS part and where it stands.
type PartView struct {
	Seq         int        `json:"seq"`
	Total       int        `json:"total"`
	State       string     `json:"state"`
	Encoding    string     `json:"encoding"`
	Text        string     `json:"text"`
	Attempts    int        `json:"attempts"`
	NextAttempt *time.Time `json:"next_attempt,omitempty"` // while queued
	Updated     time.Time  `json:"updated"`
	Transport   string     `json:"transport,omitempty"`
	TransportID string     `json:"transport_id,omitempty"`
	Receipt     string     `json:"receipt,omitempty"` // the receipt's stat, e.g. DELIVRD
	Error       string     `json:"error,omitempty"`
	// InDoubt counts its sends whose outcome was never known; MaybeTwice
	// says the phone may have received it twice, AlsoID is the id of the
	// other send the network accepted, when one is known.
	InDoubt    int    `json:"in_doubt,omitempty"`
	MaybeTwice bool   `json:"maybe_twice,omitempty"`
	AlsoID     string `json:"also_id,omitempty"`
	// MovedFrom is the transport it had gone out through before its
	// message was sent again as a whole through another.
	MovedFrom string `json:"moved_from,omitempty"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// ViewMessage is the API's view of a stored message.
func ViewMessage(m *store.Message) MessageView {
	v := MessageView{ID: m.ID, Received: m.Received, Expires: optTime(m.Expires), Sender: m.Sender,
		Subject: m.Subject, Class: m.Class, Recipients: make([]RecipientView, 0, len(m.Recipients))}
	var all []store.Part
	for _, r := range m.Recipients {
		rv := RecipientView{Address: r.Address, Number: r.Number, State: store.RecipientState(r.Parts).String(),
			Reported: r.Reported, Parts: make([]PartView, 0, len(r.Parts))}
		for _, p := range r.Parts {
			rv.Parts = append(rv.Parts, viewPart(p))
		}
		all = append(all, r.Parts...)
		v.Recipients = append(v.Recipients, rv)
	}
	v.State = store.RecipientState(all).String()
	return v
}

func viewPart(p store.Part) PartView {
	pv := PartView{Seq: p.Seq, Total: p.Total, State: p.State.String(), Encoding: p.Encoding.String(), Text: p.Text,
		Attempts: p.Attempts, Updated: p.Updated, Transport: p.Transport, TransportID: p.TransportID,
		Receipt: p.Receipt, InDoubt: p.InDoubt, MaybeTwice: p.MaybeTwice(), AlsoID: p.AlsoID,
		MovedFrom: p.MovedFrom}
	if p.State == store.PartQueued {
		pv.NextAttempt = optTime(p.NextAttempt)
	}
	if p.State != store.PartDelivered {
		pv.Error = p.Error
	}
	return pv
}

// SummaryView is one message in a list.
type SummaryView struct {
	ID         string                 `json:"id"`
	State      string                 `json:"state"`
	Received   time.Time              `json:"received"`
	Expires    *time.Time             `json:"expires,omitempty"`
	Sender     string                 `json:"sender,omitempty"`
	Subject    string                 `json:"subject,omitempty"`
	Parts      map[string]int         `json:"parts"` // by state
	Recipients []RecipientSummaryView `json:"recipients"`
	Class      priority.Class         `json:"class"`
}

// RecipientSummaryView is one recipient in a list.
type RecipientSummaryView struct {
	Address string `json:"address"`
	Number  string `json:"number"`
	State   string `json:"state"`
	Parts   int    `json:"parts"`
}

// ListView is a page of messages.
type ListView struct {
	Messages []SummaryView `json:"messages"`
	Next     string        `json:"next,omitempty"` // pass as ?before= for the next page
}

// ViewSummary is the API's view of a listed message.
func ViewSummary(s store.Summary) SummaryView {
	v := SummaryView{ID: s.ID, Received: s.Received, Expires: optTime(s.Expires), Sender: s.Sender, Subject: s.Subject,
		Class: s.Class, Parts: map[string]int{}, Recipients: make([]RecipientSummaryView, 0, len(s.Recipients))}
	var states []store.Part
	for st, n := range s.Parts {
		if n > 0 {
			v.Parts[st.String()] = n
			states = append(states, store.Part{State: st})
		}
	}
	v.State = store.RecipientState(states).String()
	for _, r := range s.Recipients {
		v.Recipients = append(v.Recipients, RecipientSummaryView{Address: r.Address, Number: r.Number, State: r.State.String(), Parts: r.Parts})
	}
	return v
}

// TransportView is one transport as /api/v1/transports shows it.
type TransportView struct {
	bridge.TransportStatus
	Throughput float64 `json:"throughput"` // accepted submits per second over the last minute
	// Binds are the holders of an SMPP transport's bind leases, by bind;
	// absent when binds are not shared by leases.
	Binds []BindHolderView `json:"binds,omitzero"`
}

// BindHolderView is one bind slot of an SMPP account and the gateway
// instance whose lease holds it.
type BindHolderView struct {
	Bind     int    `json:"bind"`
	Instance string `json:"instance"`
}
