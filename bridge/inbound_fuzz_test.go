package bridge

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"

	"github.com/smsbridge/smsbridge/internal/mailfmt"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport"
)

var inboundFields = []string{"From", "To", "Subject", "Date", "Message-Id", "In-Reply-To", "References",
	"X-Sms-Transport", "Mime-Version", "Content-Type", "Content-Transfer-Encoding"}

// FuzzInboundMail: whatever an SMSC sends as the source address, transport
// name and text, and whatever the conversation kept (subject, Message-ID),
// the mail for an SMS has only the gateway's header fields, its To reads
// back as the recipient, and its body as the text.
func FuzzInboundMail(f *testing.F) {
	f.Add("1415\r\nBcc: v@x.y", "ops-desk@example.com", "Re: Server down\r\nBcc: y@x.y", "<a@b>\r\nBcc: z@x.y", "smsc\r\nX: y", "hello\r\n.\r\nBcc: w@x.y")
	f.Add("+14155550142", "john doe@example.com", "", "", "smsc", "ACK")
	f.Fuzz(func(t *testing.T, from, to, subject, msgID, tr, text string) {
		rcpt, err := mailfmt.ParseUnquoted(to)
		if err != nil {
			return
		}
		g := &Gateway{}
		cfg := testConfig()
		g.cfg.Store(&cfg)
		data, id := g.inboundMail(from, rcpt, store.Conversation{Subject: subject, MessageID: msgID},
			transport.Inbound{Transport: tr, Text: text, Received: time.Unix(1e9, 0)})
		e, err := message.Read(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("mail does not parse: %v\n%q", err, data)
		}
		for f := e.Header.Fields(); f.Next(); {
			if !slices.Contains(inboundFields, f.Key()) {
				t.Fatalf("extra header field %q:\n%q", f.Key(), data)
			}
		}
		h := mail.Header{Header: e.Header}
		list, err := h.AddressList("To")
		if err != nil || len(list) != 1 || list[0].Address != to {
			t.Fatalf("To %q reads back as %v (%v), want %q", h.Get("To"), list, err, to)
		}
		if _, err := h.AddressList("From"); err != nil {
			t.Fatalf("From %q does not parse: %v", h.Get("From"), err)
		}
		if got := h.Get("Message-Id"); got != id {
			t.Fatalf("Message-Id %q, returned %q", got, id)
		}
		body, err := io.ReadAll(e.Body)
		if err != nil {
			t.Fatal(err)
		}
		if want := strings.ReplaceAll(text, "\n", "\r\n") + "\r\n"; string(body) != want && !strings.ContainsAny(text, "\r") {
			t.Fatalf("body %q, want %q", body, want)
		}
	})
}
