package smtpd

import (
	"bytes"
	"context"
	"errors"
	"net/smtp"
	"net/textproto"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestStdlibClient talks to the server with net/smtp, as simple scripts do.
func TestStdlibClient(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{MaxMessageBytes: 10 << 20}, nil)
	c, err := smtp.Dial(ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	if ok, size := c.Extension("SIZE"); !ok || size != "10485760" {
		t.Errorf("SIZE = %v %q, want the limit", ok, size)
	}
	if err := c.Mail("alice@example.com"); err != nil {
		t.Fatal(err)
	}
	var te *textproto.Error
	if err := c.Rcpt("4151234567@elsewhere.test"); !errors.As(err, &te) || te.Code != 550 {
		t.Fatalf("foreign domain: %v, want 550", err)
	}
	if err := c.Rcpt(goodRcpt); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	body := "From: alice@example.com\r\nSubject: disk\r\n\r\nsda1 is full\r\n.leading dot\r\n"
	if _, err := w.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("DATA: %v", err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	subs := ts.be.submissions()
	if len(subs) != 1 || !bytes.Equal(subs[0].body, []byte(body)) {
		t.Fatalf("submitted %+v, want %q", subs, body)
	}
	if got := ts.logs.find("mail accepted", "queue_id=Q1", "code=250", "rcpts=1", "from=alice@example.com"); len(got) != 1 {
		t.Fatalf("no accept log line: %q", got)
	}
	if got := ts.logs.find("sda1"); len(got) != 0 {
		t.Fatalf("message text logged: %q", got)
	}
}

func TestSwaks(t *testing.T) {
	t.Parallel()
	swaks, err := exec.LookPath("swaks")
	if err != nil {
		t.Skip("swaks not installed")
	}
	ts := startServer(t, Config{}, nil)
	host, port, _ := strings.Cut(ts.addr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, swaks, "--server", host, "--port", port, "--timeout", "10",
		"--from", "alice@example.com", "--to", goodRcpt, "--header", "Subject: swaks test",
		"--body", "hello from swaks")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "<-  250 2.0.0 Ok: queued as Q1") {
		t.Fatalf("no 250 for the DATA in swaks output:\n%s", out)
	}
	subs := ts.be.submissions()
	if len(subs) != 1 || !strings.Contains(string(subs[0].body), "hello from swaks") {
		t.Fatalf("submissions = %+v", subs)
	}
}

// BenchmarkTransaction measures one MAIL, RCPT, DATA round over loopback
// with a backend that stores nothing.
func BenchmarkTransaction(b *testing.B) {
	be := &fakeBackend{submit: func(context.Context, *Envelope, []byte) (string, error) { return "Q", nil }}
	ts := startServer(b, Config{}, be)
	c, err := smtp.Dial(ts.addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	body := []byte("Subject: disk\r\n\r\nsda1 is full\r\n")
	for b.Loop() {
		if err := c.Mail("alice@example.com"); err != nil {
			b.Fatal(err)
		}
		if err := c.Rcpt(goodRcpt); err != nil {
			b.Fatal(err)
		}
		w, err := c.Data()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.Write(body); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
