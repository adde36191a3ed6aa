package mailout

import (
	"bufio"
	"bytes"
	"net/mail"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"
)

// FuzzEnvelope: an envelope the gateway agrees to write has a MAIL FROM
// and RCPT TO path and Maildir fields that parse back to the same
// addresses, and the fields are exactly Return-Path and one Delivered-To
// per recipient.
func FuzzEnvelope(f *testing.F) {
	f.Add("", "victim> ORCPT=rfc822;z@attacker.example", "john doe@example.com")
	f.Add("ops@example.com", "ops\r\nRCPT TO:<v@x.y>@example.com", "a@b@c")
	f.Fuzz(func(t *testing.T, from, to1, to2 string) {
		m := &Mail{From: from, To: []string{to1, to2}}
		smtpFrom, smtpTo, err := envelope(m)
		if err != nil {
			if !IsPermanent(err) {
				t.Fatalf("unwritable envelope: %v is not permanent", err)
			}
			return
		}
		for i, path := range append([]string{smtpFrom}, smtpTo...) {
			want := append([]string{from}, m.To...)[i]
			if path == "" && want == "" {
				continue
			}
			a, err := mail.ParseAddress("<" + path + ">")
			if err != nil || a.Address != want {
				t.Fatalf("path %q for %q reads back as %v (%v)", path, want, a, err)
			}
		}
		head, err := envelopeHeader(m)
		if err != nil {
			t.Fatal(err)
		}
		h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(append(head, "\r\n"...))))
		if err != nil {
			t.Fatalf("fields %q do not parse: %v", head, err)
		}
		var names []string
		for f := h.Fields(); f.Next(); {
			names = append(names, f.Key())
		}
		if !slices.Equal(names, []string{"Return-Path", "Delivered-To", "Delivered-To"}) {
			t.Fatalf("fields %q in\n%q", names, head)
		}
		if rp := h.Get("Return-Path"); rp != "<"+smtpFrom+">" {
			t.Fatalf("Return-Path %q, want <%s>", rp, smtpFrom)
		}
		for i, v := range h.Values("Delivered-To") {
			if a, err := mail.ParseAddress(v); err != nil || a.Address != m.To[i] || strings.ContainsAny(v, "\r\n") {
				t.Fatalf("Delivered-To %q reads back as %v (%v), want %q", v, a, err, m.To[i])
			}
		}
	})
}
