package smtpd

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

const goodRcpt = "4151234567@" + testDomain

func TestEHLOAdvertises(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{MaxMessageBytes: 4096}, nil)
	c := dialRaw(t, ts.addr)
	msg := c.do("EHLO client.test", 250, "")
	for _, want := range []string{"8BITMIME", "SMTPUTF8", "DSN", "SIZE 4096", "ENHANCEDSTATUSCODES", "PIPELINING"} {
		if !strings.Contains(msg, want) {
			t.Errorf("EHLO reply lacks %s:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "AUTH") {
		t.Errorf("EHLO advertises AUTH without users to log in:\n%s", msg)
	}
}

func TestRcptReplies(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{}, nil)
	tests := []struct {
		rcpt string
		code int
		enh  string
	}{
		{"<" + goodRcpt + ">", 250, "2.0.0"},
		{"<+14151234567@SMS.TEST>", 250, "2.0.0"},
		{"<@relay.test:" + goodRcpt + ">", 250, "2.0.0"}, // source route ignored (RFC 5321 4.1.1.3)
		{"<4151234567@elsewhere.test>", 550, "5.7.1"},
		{"<not-a-number@" + testDomain + ">", 550, "5.1.1"},
		{"<wrapped@" + testDomain + ">", 550, "5.1.1"},
		{"<dbfail@" + testDomain + ">", 451, "4.3.0"},
		{"<\"a@b\"@" + testDomain + ">", 501, "5.1.3"},
		{"<4151234567@sms.test.>", 501, "5.1.3"},
		{"<4151234567@-sms.test>", 501, "5.1.3"},
		{"<4151234567@[1.2.3]>", 501, "5.1.3"},
		{"<4151234567>", 501, "5.5.2"}, // go-smtp: no '@' at all
		{`<"(415)123-4567"@` + testDomain + ">", 250, "2.0.0"},
		{"<(415)123-4567@" + testDomain + ">", 501, "5.5.2"}, // go-smtp: '(' must be quoted (RFC 5321)
	}
	for _, tt := range tests {
		t.Run(tt.rcpt, func(t *testing.T) {
			t.Parallel()
			c := dialRaw(t, ts.addr)
			c.do("EHLO client.test", 250, "")
			c.do("MAIL FROM:<alice@example.com>", 250, "2.0.0")
			msg := c.do("RCPT TO:"+tt.rcpt, tt.code, tt.enh)
			if strings.Contains(msg, "secret") {
				t.Errorf("reply leaks the cause: %q", msg)
			}
		})
	}
}

func TestBackendFailureDoesNotLeak(t *testing.T) {
	t.Parallel()
	be := &fakeBackend{submit: func(context.Context, *Envelope, []byte) (string, error) {
		return "", errors.New("bbolt: disk full at /var/secret/db")
	}}
	ts := startServer(t, Config{}, be)
	c := dialRaw(t, ts.addr)
	c.begin()
	code, msg := c.data("Subject: hi\r\n\r\nhello\r\n")
	if code != 451 || !strings.HasPrefix(msg, "4.3.0 temporary failure, id ") {
		t.Fatalf("got %d %q, want 451 4.3.0 temporary failure", code, msg)
	}
	if strings.Contains(msg, "disk") || strings.Contains(msg, "secret") {
		t.Fatalf("reply leaks the cause: %q", msg)
	}
	logID := msg[strings.LastIndex(msg, " ")+1:]
	if got := ts.logs.find("log_id="+logID, "disk full", "stage=data"); len(got) != 1 {
		t.Fatalf("cause not logged once under log id %s: %q", logID, got)
	}
	c.do("NOOP", 250, "2.0.0") // the session goes on
}

func TestWrappedErrorKeepsCode(t *testing.T) {
	t.Parallel()
	be := &fakeBackend{submit: func(context.Context, *Envelope, []byte) (string, error) {
		inner := &Error{Code: 554, Enhanced: [3]int{5, 6, 0}, Message: "empty message", Err: errors.New("no text part")}
		return "", fmt.Errorf("convert: %w", inner)
	}}
	ts := startServer(t, Config{}, be)
	c := dialRaw(t, ts.addr)
	c.begin()
	code, msg := c.data("Subject: x\r\n\r\n")
	if code != 554 || msg != "5.6.0 empty message" {
		t.Fatalf("got %d %q, want 554 5.6.0 empty message", code, msg)
	}
}

func TestUntrustedNeedsAuth(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{TrustedNetworks: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}, nil)
	c := dialRaw(t, ts.addr)
	c.do("EHLO client.test", 250, "")
	c.do("MAIL FROM:<alice@example.com>", 530, "5.7.0 Authentication required")
	c.do("RCPT TO:<"+goodRcpt+">", 502, "5.5.1")           // no transaction
	c.do("AUTH PLAIN AGFsaWNlAHNlY3JldA==", 538, "5.7.11") // RFC 4954: encryption required
	if n := len(ts.be.submissions()); n != 0 {
		t.Fatalf("%d submissions from an untrusted client", n)
	}
}

func TestTooManyRecipients(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{MaxRecipients: 2}, nil)
	c := dialRaw(t, ts.addr)
	c.begin()
	c.do("RCPT TO:<4155550100@"+testDomain+">", 250, "2.0.0")
	c.do("RCPT TO:<4155550101@"+testDomain+">", 452, "4.5.3 Too many recipients")
	if code, msg := c.data("Subject: x\r\n\r\nbody\r\n"); code != 250 {
		t.Fatalf("DATA: %d %s", code, msg)
	}
	subs := ts.be.submissions()
	if len(subs) != 1 || len(subs[0].env.Recipients) != 2 {
		t.Fatalf("submissions = %+v, want one with 2 recipients", subs)
	}
	// The limit is per transaction.
	c.do("MAIL FROM:<alice@example.com>", 250, "2.0.0")
	c.do("RCPT TO:<"+goodRcpt+">", 250, "2.0.0")
}

func TestTooBig(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{MaxMessageBytes: 100}, nil)
	c := dialRaw(t, ts.addr)
	c.do("EHLO client.test", 250, "")
	c.do("MAIL FROM:<alice@example.com> SIZE=101", 552, "5.3.4")
	c.do("MAIL FROM:<alice@example.com> SIZE=50", 250, "2.0.0")
	c.do("RCPT TO:<"+goodRcpt+">", 250, "2.0.0")
	body := "Subject: big\r\n\r\n" + strings.Repeat("0123456789\r\n", 20)
	if code, msg := c.data(body); code != 552 || !strings.HasPrefix(msg, "5.3.4") {
		t.Fatalf("got %d %q, want 552 5.3.4", code, msg)
	}
	c.do("NOOP", 250, "2.0.0")
	c.begin()
	if code, msg := c.data("Subject: small\r\n\r\nok\r\n"); code != 250 {
		t.Fatalf("small message after big one: %d %q", code, msg)
	}
	if n := len(ts.be.submissions()); n != 1 {
		t.Fatalf("%d submissions, want only the small one", n)
	}
}

func TestLineTooLong(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{MaxLineLength: 100}, nil)
	c := dialRaw(t, ts.addr)
	c.begin()
	code, msg := c.data("Subject: x\r\n\r\n" + strings.Repeat("x", 200) + "\r\n")
	if code != 500 {
		t.Fatalf("got %d %q, want 500", code, msg)
	}
	if n := len(ts.be.submissions()); n != 0 {
		t.Fatalf("%d submissions", n)
	}
}

func TestPanicAnswers451AndServes(t *testing.T) {
	t.Parallel()
	be := &fakeBackend{submit: func(_ context.Context, env *Envelope, _ []byte) (string, error) {
		if env.From == "boom@example.com" {
			panic("submit exploded")
		}
		return "", nil
	}}
	ts := startServer(t, Config{}, be)
	c := dialRaw(t, ts.addr)
	c.do("EHLO client.test", 250, "")
	c.do("MAIL FROM:<alice@example.com>", 250, "2.0.0")
	c.do("RCPT TO:<panic@"+testDomain+">", 451, "4.3.0 temporary failure, id ")
	c.do("RCPT TO:<"+goodRcpt+">", 250, "2.0.0") // same session goes on
	c.do("RSET", 250, "")
	c.do("MAIL FROM:<boom@example.com>", 250, "2.0.0")
	c.do("RCPT TO:<"+goodRcpt+">", 250, "2.0.0")
	if code, msg := c.data("Subject: x\r\n\r\ny\r\n"); code != 451 || !strings.HasPrefix(msg, "4.3.0") {
		t.Fatalf("panic in Submit: %d %q", code, msg)
	}
	if got := ts.logs.find("smtp panic", "submit exploded", "stack="); len(got) != 1 {
		t.Fatalf("panic not logged with its stack: %q", got)
	}
	c2 := dialRaw(t, ts.addr) // and the server takes new connections
	c2.begin()
	if code, msg := c2.data("Subject: x\r\n\r\ny\r\n"); code != 250 {
		t.Fatalf("after panic: %d %q", code, msg)
	}
}

func TestDSNParametersReachEnvelope(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{}, nil)
	c := dialRaw(t, ts.addr)
	c.do("EHLO client.test", 250, "")
	c.do("MAIL FROM:<alice@example.com> RET=HDRS ENVID=job+2B42", 250, "2.0.0")
	c.do("RCPT TO:<"+goodRcpt+"> NOTIFY=success,failure ORCPT=rfc822;oncall+40example.com", 250, "2.0.0")
	c.do("RCPT TO:<4155550100@"+testDomain+">", 250, "2.0.0")
	if code, msg := c.data("Subject: x\r\n\r\ny\r\n"); code != 250 {
		t.Fatalf("DATA: %d %q", code, msg)
	}
	subs := ts.be.submissions()
	if len(subs) != 1 {
		t.Fatalf("%d submissions", len(subs))
	}
	env := subs[0].env
	if env.Ret != "HDRS" || env.EnvID != "job+42" || env.From != "alice@example.com" || env.Helo != "client.test" {
		t.Errorf("envelope = %+v", env)
	}
	r0, r1 := env.Recipients[0], env.Recipients[1]
	if !slices.Equal(r0.Notify, []string{"SUCCESS", "FAILURE"}) || r0.ORCPT != "RFC822;oncall@example.com" {
		t.Errorf("recipient 0 = %+v", r0)
	}
	if !slices.Equal(r0.Numbers, []string{"+4151234567"}) || r0.Address != goodRcpt {
		t.Errorf("recipient 0 numbers = %+v", r0)
	}
	if r1.Notify != nil || r1.ORCPT != "" {
		t.Errorf("recipient 1 without DSN parameters = %+v", r1)
	}
	if env.ID == "" || env.RemoteAddr == nil || env.User != "" {
		t.Errorf("envelope connection fields = %+v", env)
	}
}

func TestRepliesOnlyAfterSubmit(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{})
	release := make(chan struct{})
	be := &fakeBackend{submit: func(context.Context, *Envelope, []byte) (string, error) {
		close(entered)
		<-release
		return "", nil
	}}
	ts := startServer(t, Config{}, be)
	c := dialRaw(t, ts.addr)
	c.begin()
	c.do("DATA", 354, "")
	if _, err := fmt.Fprintf(c.conn, "Subject: x\r\n\r\nhello\r\n.\r\n"); err != nil {
		t.Fatal(err)
	}
	<-entered
	// No reply may arrive while Submit has not returned.
	if err := c.conn.SetReadDeadline(time.Now().Add(150 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if line, err := c.tp.ReadLine(); err == nil {
		t.Fatalf("reply %q before Submit returned", line)
	}
	close(release)
	if err := c.conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	c.read(250, "2.0.0 Ok: queued as Q1")
}

func TestShutdownEndsIdleAndFinishesData(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{}, nil)
	idle := dialRaw(t, ts.addr)
	idle.do("EHLO idle.test", 250, "")
	busy := dialRaw(t, ts.addr)
	busy.begin()
	busy.do("DATA", 354, "")
	if _, err := fmt.Fprintf(busy.conn, "Subject: x\r\n\r\nfirst half\r\n"); err != nil {
		t.Fatal(err)
	}
	waitBusy(t, ts.srv)
	shut := make(chan error, 1)
	go func() { shut <- ts.srv.Shutdown(context.Background()) }()
	idle.read(421, "4.4.2")
	time.Sleep(100 * time.Millisecond) // several kicks pass while the body is unfinished
	if _, err := fmt.Fprintf(busy.conn, "second half\r\n.\r\n"); err != nil {
		t.Fatal(err)
	}
	busy.read(250, "2.0.0 Ok: queued as Q1")
	if err := <-shut; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	subs := ts.be.submissions()
	if len(subs) != 1 || !strings.HasSuffix(string(subs[0].body), "first half\r\nsecond half\r\n") {
		t.Fatalf("submissions = %+v", subs)
	}
}

// waitBusy waits until some connection of srv is inside DATA.
func waitBusy(t *testing.T, srv *Server) {
	t.Helper()
	for range 500 {
		for _, c := range srv.conns.snapshot() {
			if c.busy.Load() {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no connection entered DATA within 2.5s")
}

func TestShutdownDeadlineClosesConnections(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	defer close(release)
	entered := make(chan struct{})
	be := &fakeBackend{submit: func(ctx context.Context, _ *Envelope, _ []byte) (string, error) {
		close(entered)
		select {
		case <-release:
		case <-ctx.Done():
		}
		return "", ctx.Err()
	}}
	ts := startServer(t, Config{}, be)
	c := dialRaw(t, ts.addr)
	c.begin()
	c.do("DATA", 354, "")
	if _, err := fmt.Fprintf(c.conn, "Subject: x\r\n\r\nhello\r\n.\r\n"); err != nil {
		t.Fatal(err)
	}
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("shutdown = %v, want deadline exceeded", err)
	}
}
