package smtpbackend

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/smtpd"
)

// TestReply: the SMTP answer to each kind of refusal of the bridge, and
// what passes through as it is.
func TestReply(t *testing.T) {
	t.Parallel()
	cause := errors.New("disk on fire")
	policyRefusal := smtpd.Errorf(450, [3]int{4, 7, 1}, "Daily limit: at most 8 SMS parts per day for <a@example.com> (parts_per_day)")
	other := errors.New("something else")
	for _, c := range []struct {
		name     string
		err      error
		code     int
		enhanced [3]int
		message  string
		same     bool // returned as it is
	}{
		{"bad address", &bridge.Refusal{Kind: bridge.ErrBadAddress, Reason: "Bad recipient address syntax"},
			550, [3]int{5, 1, 3}, "Bad recipient address syntax", false},
		{"not served", &bridge.Refusal{Kind: bridge.ErrNotServed, Reason: "Relaying denied: example.com is not an SMS domain served here"},
			550, [3]int{5, 7, 1}, "Relaying denied: example.com is not an SMS domain served here", false},
		{"bad number", &bridge.Refusal{Kind: bridge.ErrBadRecipient, Reason: "12: too short"},
			550, [3]int{5, 1, 1}, "12: too short", false},
		{"opted out", &bridge.Refusal{Kind: bridge.ErrOptedOut, Reason: "4155550100 has opted out"},
			550, [3]int{5, 7, 1}, "4155550100 has opted out", false},
		{"no recipients", &bridge.Refusal{Kind: bridge.ErrNoRecipients, Reason: "No valid recipients"},
			554, [3]int{5, 5, 1}, "No valid recipients", false},
		{"unreadable", &bridge.Refusal{Kind: bridge.ErrUnreadable, Reason: "Message could not be read as mail: no header"},
			554, [3]int{5, 6, 0}, "Message could not be read as mail: no header", false},
		{"empty", &bridge.Refusal{Kind: bridge.ErrEmpty, Reason: "Empty message"},
			554, [3]int{5, 6, 0}, "Empty message", false},
		{"too long", &bridge.Refusal{Kind: bridge.ErrTooLong, Reason: "Message too long"},
			554, [3]int{5, 6, 0}, "Message too long", false},
		{"not sms", &bridge.Refusal{Kind: bridge.ErrNotSMS, Reason: "Message cannot be sent as SMS"},
			554, [3]int{5, 6, 0}, "Message cannot be sent as SMS", false},
		{"store unavailable", &bridge.Refusal{Kind: bridge.ErrStoreUnavailable, Reason: "Queue unavailable, try again later", Err: cause},
			451, [3]int{4, 3, 0}, "Queue unavailable, try again later", false},
		{"wrapped refusal", fmt.Errorf("submit: %w", &bridge.Refusal{Kind: bridge.ErrEmpty, Reason: "Empty message"}),
			554, [3]int{5, 6, 0}, "Empty message", false},
		{"policy refusal", policyRefusal, 0, [3]int{}, "", true},
		{"other error", other, 0, [3]int{}, "", true},
		{"refusal of an unknown kind", &bridge.Refusal{Kind: other, Reason: "?"}, 0, [3]int{}, "", true},
		{"none", nil, 0, [3]int{}, "", true},
	} {
		got := Reply(c.err)
		if c.same {
			if got != c.err {
				t.Errorf("%s: Reply = %v, want %v unchanged", c.name, got, c.err)
			}
			continue
		}
		var se *smtpd.Error
		if !errors.As(got, &se) || se.Code != c.code || se.Enhanced != c.enhanced || se.Message != c.message {
			t.Errorf("%s: Reply = %#v, want %d %v %q", c.name, got, c.code, c.enhanced, c.message)
			continue
		}
		if c.code/100 == 4 && !errors.Is(got, cause) {
			t.Errorf("%s: the cause is lost: %v", c.name, got)
		}
	}
}

type fakeGateway struct {
	user, address string
	mail          bridge.Mail
	err           error
}

func (g *fakeGateway) Recipient(_ context.Context, user, address string) ([]string, error) {
	g.user, g.address = user, address
	if g.err != nil {
		return nil, g.err
	}
	return []string{"+14155550100"}, nil
}

func (g *fakeGateway) Submit(_ context.Context, m bridge.Mail, _ []byte) (string, error) {
	g.mail = m
	return "id1", g.err
}

// The backend gives the gateway the user, sender and recipients of the
// envelope, and answers its refusals as SMTP replies.
func TestBackend(t *testing.T) {
	t.Parallel()
	gw := &fakeGateway{}
	b := New(gw)
	env := &smtpd.Envelope{ID: "c7", User: "nagios", From: "nagios@example.com", Ret: "HDRS", EnvID: "job1",
		Recipients: []smtpd.Recipient{{Address: "oncall@sms.test", Numbers: []string{"+14155550100", "+14155550101"},
			Notify: []string{"FAILURE"}, ORCPT: "rfc822;oncall@sms.test"}}}
	if numbers, err := b.Recipient(t.Context(), env, "4155550100@sms.test"); err != nil || !reflect.DeepEqual(numbers, []string{"+14155550100"}) ||
		gw.user != "nagios" || gw.address != "4155550100@sms.test" {
		t.Errorf("Recipient = %v, %v; gateway saw %q %q", numbers, err, gw.user, gw.address)
	}
	if id, err := b.Submit(t.Context(), env, nil); err != nil || id != "id1" {
		t.Errorf("Submit = %q, %v", id, err)
	}
	want := bridge.Mail{ConnID: "c7", User: "nagios", From: "nagios@example.com", Ret: "HDRS", EnvID: "job1",
		Recipients: []bridge.MailRecipient{{Address: "oncall@sms.test", Numbers: []string{"+14155550100", "+14155550101"},
			Notify: []string{"FAILURE"}, ORCPT: "rfc822;oncall@sms.test"}}}
	if !reflect.DeepEqual(gw.mail, want) {
		t.Errorf("gateway got %+v, want %+v", gw.mail, want)
	}

	gw.err = &bridge.Refusal{Kind: bridge.ErrOptedOut, Reason: "opted out"}
	var se *smtpd.Error
	if _, err := b.Recipient(t.Context(), env, "x@sms.test"); !errors.As(err, &se) || se.Code != 550 {
		t.Errorf("Recipient refused: %v, want 550", err)
	}
	gw.err = &bridge.Refusal{Kind: bridge.ErrStoreUnavailable, Reason: "Queue unavailable, try again later"}
	if _, err := b.Submit(t.Context(), env, nil); !errors.As(err, &se) || se.Code != 451 {
		t.Errorf("Submit refused: %v, want 451", err)
	}
}
