package mailout_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/smtpsink"
	"github.com/smsbridge/smsbridge/mailout"
)

// hostileBody has every way a line can end early: a bare CR or LF before a
// dot, a dot line after CRLF, a line starting with a dot, no final CRLF.
const hostileBody = "Subject: x\r\n\r\na\r.\r\nb\n.\nc\r\n.\r\n.dot\r\nend"

// TestSmarthostWireBytes: what reaches the smarthost is the envelope
// written from parsed addresses, quoted where RFC 5321 asks, and the text
// in CRLF lines, dot-stuffed, with no early end of data.
func TestSmarthostWireBytes(t *testing.T) {
	t.Parallel()
	sink, err := smtpsink.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	sh := &mailout.Smarthost{Addr: sink.Addr(), Hostname: "gw.test", TLS: mailout.TLSNone, Timeout: 5 * time.Second}
	m := &mailout.Mail{From: "", To: []string{"victim> ORCPT=rfc822;z@attacker.example", "john doe@example.com"}, Data: []byte(hostileBody)}
	if err := sh.Deliver(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := sink.Mails()
	if len(got) != 1 {
		t.Fatalf("sink has %d mails", len(got))
	}
	wantCmds := []string{"MAIL FROM:<> BODY=8BITMIME", `RCPT TO:<"victim> ORCPT=rfc822;z"@attacker.example>`, `RCPT TO:<"john doe"@example.com>`}
	if !slices.Equal(got[0].Commands, wantCmds) {
		t.Errorf("envelope on the wire:\n%q\nwant\n%q", got[0].Commands, wantCmds)
	}
	wantWire := "Subject: x\r\n\r\na\r\n..\r\nb\r\n..\r\nc\r\n..\r\n..dot\r\nend\r\n.\r\n"
	if string(got[0].Wire) != wantWire {
		t.Errorf("data on the wire:\n%q\nwant\n%q", got[0].Wire, wantWire)
	}
	if want := "Subject: x\r\n\r\na\r\n.\r\nb\r\n.\r\nc\r\n.\r\n.dot\r\nend\r\n"; string(got[0].Data) != want {
		t.Errorf("data as the sink read it:\n%q\nwant\n%q", got[0].Data, want)
	}
}

// TestUnwritableEnvelopeIsPermanent: an address that cannot be written
// safely is never sent, and retrying cannot help.
func TestUnwritableEnvelopeIsPermanent(t *testing.T) {
	t.Parallel()
	sink, err := smtpsink.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	sh := &mailout.Smarthost{Addr: sink.Addr(), TLS: mailout.TLSNone, Timeout: 5 * time.Second}
	md := &mailout.Maildir{Dir: filepath.Join(t.TempDir(), "mail")}
	for _, m := range []*mailout.Mail{
		{To: []string{"victim@example.net> ORCPT=rfc822;z@attacker.example"}, Data: []byte(hostileBody)},
		{To: []string{"ops\r\nRCPT TO:<v@x.y>@example.com"}, Data: []byte(hostileBody)},
		{From: "bad\x00@example.com", To: []string{"ops@example.com"}, Data: []byte(hostileBody)},
		{Data: []byte(hostileBody)},
	} {
		for name, d := range map[string]mailout.Deliverer{"smarthost": sh, "maildir": md} {
			if err := d.Deliver(context.Background(), m); !mailout.IsPermanent(err) {
				t.Errorf("%s: envelope %q %q: got %v, want a permanent error", name, m.From, m.To, err)
			}
		}
	}
	if n := len(sink.Mails()); n != 0 {
		t.Errorf("sink got %d mails", n)
	}
}

// TestMaildirEnvelopeHeaders: the envelope fields are written from parsed
// addresses and the text in CRLF lines.
func TestMaildirEnvelopeHeaders(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "mail")
	md := &mailout.Maildir{Dir: dir}
	m := &mailout.Mail{From: "", To: []string{"john doe@example.com"}, Data: []byte(hostileBody)}
	if err := md.Deliver(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "new"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("new/: %v %v", entries, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "new", entries[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	want := "Return-Path: <>\r\nDelivered-To: \"john doe\"@example.com\r\nSubject: x\r\n\r\na\r\n.\r\nb\r\n.\r\nc\r\n.\r\n.dot\r\nend"
	if string(b) != want {
		t.Errorf("maildir file:\n%q\nwant\n%q", b, want)
	}
	if strings.Count(string(b), "\r\n") != strings.Count(string(b), "\n") {
		t.Error("bare LF in the file")
	}
}
