package smtpd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// pipeListener hands the server the far ends of net.Pipe connections, which
// claim to come from loopback so that the session is trusted and the fuzzer
// reaches MAIL, RCPT and DATA, AUTH in clear, and STARTTLS.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr }

// dial returns the client end of a new connection to the server.
func (l *pipeListener) dial() net.Conn {
	client, server := net.Pipe()
	l.conns <- loopbackConn{server}
	return client
}

var pipeAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2525}

type loopbackConn struct{ net.Conn }

func (loopbackConn) RemoteAddr() net.Addr { return pipeAddr }

var replyLine = regexp.MustCompile(`^[2-5][0-9][0-9][ -]`)

func FuzzSession(f *testing.F) {
	seeds := []string{
		"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<4151234567@sms.test>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n",
		"EHLO c\r\nMAIL FROM:<> RET=FULL ENVID=x+2By\r\nRCPT TO:<1@sms.test> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;a+40b\r\nDATA\r\n..x\r\n.\r\n",
		"EHLO c\r\nMAIL FROM:<a@b> SIZE=99999\r\nRCPT TO:<panic@sms.test>\r\nRCPT TO:<dbfail@sms.test>\r\nRSET\r\n",
		"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<1@sms.test>\r\nBDAT 5 LAST\r\nhello",
		"HELO c\r\nAUTH PLAIN =\r\nSTARTTLS\r\nVRFY x\r\nNOOP\r\nEHLO d\r\n",
		"EHLO c\r\nMAIL FROM:<a@b> SMTPUTF8 BODY=8BITMIME\r\nRCPT TO:<x@bücher.test>\r\nRCPT TO:<@r:1@sms.test>\r\n",
		"\x00\xff\r\n\r\nDATA\r\n.\r\n",
		"EHLO c\r\nAUTH PLAIN AGZ1enoAcHc=\r\nMAIL FROM:<a@b>\r\nRCPT TO:<1@sms.test>\r\nDATA\r\nx\r\n.\r\n",
		"EHLO c\r\nAUTH LOGIN\r\nZnV6eg==\r\ncHc=\r\nAUTH LOGIN\r\n",
		"EHLO c\r\nAUTH LOGIN ZnV6eg==\r\n*\r\nAUTH PLAIN\r\n=\r\nAUTH PLAIN AHgAeQ==\r\n",
		"EHLO c\r\nSTARTTLS\r\n\x16\x03\x01\x00\x05hello",
		"EHLO c\r\nSTARTTLS\r\nEHLO d\r\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	l, logs := startPipeServer(f)
	f.Fuzz(func(t *testing.T, input []byte) {
		if len(input) > 64<<10 {
			return
		}
		before := logs.len()
		out := converse(t, l.dial(), input)
		for line := range bytes.Lines(out) {
			if !replyLine.Match(line) {
				t.Fatalf("malformed reply line %q", line)
			}
		}
		for _, rec := range logs.since(before) {
			panicked := strings.HasPrefix(rec, "ERROR smtp panic") || strings.Contains(rec, "detail=panic serving")
			if panicked && !strings.Contains(rec, "recipient exploded") { // the fake's own
				t.Fatalf("panic while serving %q: %s", input, rec)
			}
		}
	})
}

// startPipeServer serves connections made with the returned listener's
// dial until the test ends.
func startPipeServer(tb testing.TB) (*pipeListener, *logRecorder) {
	logs := newLogRecorder()
	be := &fakeBackend{submit: func(context.Context, *Envelope, []byte) (string, error) { return "QF", nil }}
	srvTLS, _ := tlsSetup(tb)
	srv := NewServer(Config{
		Hostname: "mx.test", MaxMessageBytes: 4096, MaxRecipients: 5, MaxLineLength: 1000,
		ReadTimeout: time.Second, WriteTimeout: time.Second,
		TrustedNetworks: loopbackOnly(), Logger: slog.New(logs),
		// AUTH and STARTTLS are reachable: user fuzz, password pw.
		TLS: srvTLS, Users: []User{{Name: "fuzz", PasswordHash: testHash(tb, "pw")}},
		AuthFailDelay: time.Millisecond, AuthMaxDelay: 4 * time.Millisecond,
		MaxInFlight: 2, InFlightWait: 10 * time.Millisecond,
	}, be)
	l := newPipeListener()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			tb.Errorf("shutdown: %v", err)
		}
		if err := <-served; err != nil {
			tb.Errorf("serve: %v", err)
		}
	})
	return l, logs
}

// TestPipeConversation checks the fuzzer's harness reaches the end of a
// transaction.
func TestPipeConversation(t *testing.T) {
	t.Parallel()
	l, _ := startPipeServer(t)
	out := string(converse(t, l.dial(), []byte("EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<1@sms.test>\r\nDATA\r\nhi\r\n.\r\n")))
	for _, want := range []string{"250 2.0.0 Ok: queued as QF\r\n", "221 2.0.0 Bye\r\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("conversation lacks %q:\n%s", want, out)
		}
	}
}

// converse writes input, then ends any DATA and quits, and returns what the
// server said; it takes at most a few seconds whatever input is.
func converse(t *testing.T, c net.Conn, input []byte) []byte {
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(3 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	read := make(chan error, 1)
	go func() {
		_, err := io.Copy(&out, io.LimitReader(bufio.NewReader(c), 1<<20))
		read <- err
	}()
	// The server may hang up at any time (too many errors, QUIT in input).
	_, _ = c.Write(append(input, "\r\n.\r\nQUIT\r\n"...))
	err := <-read
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Logf("conversation timed out (input waits for more data)")
	}
	return out.Bytes()
}
