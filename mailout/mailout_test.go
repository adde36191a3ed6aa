package mailout_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/smtpsink"
	"github.com/smsbridge/smsbridge/mailout"
)

var testMail = &mailout.Mail{
	From: "",
	To:   []string{"alerts@example.com"},
	Data: []byte("Subject: Delivered: disk\r\n\r\nDelivered.\r\n"),
}

func TestMaildirDeliver(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "mail")
	md := &mailout.Maildir{Dir: dir}
	for i := 0; i < 3; i++ {
		if err := md.Deliver(context.Background(), testMail); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(filepath.Join(dir, "new"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Fatalf("new/ has %d files, want 3", len(entries))
	}
	tmp, _ := os.ReadDir(filepath.Join(dir, "tmp"))
	if len(tmp) != 0 {
		t.Errorf("tmp/ not empty: %d files", len(tmp))
	}
	b, err := os.ReadFile(filepath.Join(dir, "new", entries[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("Return-Path: <>\r\nDelivered-To: alerts@example.com\r\n")) {
		t.Errorf("missing envelope headers:\n%s", b)
	}
	if !bytes.HasSuffix(b, testMail.Data) {
		t.Errorf("body changed:\n%s", b)
	}
}

func TestSmarthostDeliver(t *testing.T) {
	t.Parallel()
	sink, err := smtpsink.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	sh := &mailout.Smarthost{Addr: sink.Addr(), Hostname: "gw.test", TLS: mailout.TLSOpportunistic, Timeout: 5 * time.Second}
	if err := sh.Deliver(context.Background(), testMail); err != nil {
		t.Fatal(err)
	}
	mails := sink.Mails()
	if len(mails) != 1 || mails[0].From != "" || mails[0].To[0] != "alerts@example.com" {
		t.Fatalf("sink got %+v", mails)
	}
	if !bytes.Contains(mails[0].Data, []byte("Delivered.")) {
		t.Errorf("body lost: %q", mails[0].Data)
	}
}

func TestSmarthostErrors(t *testing.T) {
	t.Parallel()
	sink, err := smtpsink.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()

	sink.SetRefuse(true)
	sh := &mailout.Smarthost{Addr: sink.Addr(), TLS: mailout.TLSOpportunistic, Timeout: 5 * time.Second}
	err = sh.Deliver(context.Background(), testMail)
	if err == nil || mailout.IsPermanent(err) {
		t.Fatalf("451 from the smarthost: got %v, want a temporary error", err)
	}

	required := &mailout.Smarthost{Addr: sink.Addr(), TLS: mailout.TLSStartTLS, Timeout: 5 * time.Second}
	if err := required.Deliver(context.Background(), testMail); err == nil {
		t.Fatal("smarthost_tls = starttls against a server without STARTTLS: delivered in clear")
	}

	sink.Close()
	err = sh.Deliver(context.Background(), testMail)
	if err == nil || mailout.IsPermanent(err) {
		t.Fatalf("smarthost down: got %v, want a temporary error", err)
	}
}
