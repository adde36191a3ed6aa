package bridge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/bridge/mailtext"
	"github.com/smsbridge/smsbridge/carriers"
	"github.com/smsbridge/smsbridge/mailout"
	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport"
)

// fakeTransport answers each Send with what answer returns; it can deliver
// receipts through the handler the gateway gave it.
type fakeTransport struct {
	answer func(n int, p *transport.Part) (string, error)

	mu      sync.Mutex
	sent    []transport.Part
	handler transport.Handler
	ready   chan struct{}
}

func newFakeTransport(answer func(n int, p *transport.Part) (string, error)) *fakeTransport {
	return &fakeTransport{answer: answer, ready: make(chan struct{})}
}

func (f *fakeTransport) Name() string { return "fake" }

func (f *fakeTransport) Run(ctx context.Context, h transport.Handler) error {
	f.mu.Lock()
	f.handler = h
	f.mu.Unlock()
	close(f.ready)
	<-ctx.Done()
	return nil
}

func (f *fakeTransport) Send(_ context.Context, p *transport.Part) (string, error) {
	f.mu.Lock()
	f.sent = append(f.sent, *p)
	n := len(f.sent)
	f.mu.Unlock()
	return f.answer(n, p)
}

func (f *fakeTransport) receipt(id string, state transport.ReceiptState) {
	<-f.ready
	f.mu.Lock()
	h := f.handler
	f.mu.Unlock()
	h.HandleReceipt(transport.Receipt{Transport: "fake", MessageID: id, State: state, ErrorCode: "000", Done: time.Now()}, func(error) {})
}

func (f *fakeTransport) sentCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sent)
}

// fakeMailer records reports; failures > 0 makes that many deliveries fail
// temporarily first.
type fakeMailer struct {
	mu       sync.Mutex
	mails    []*mailout.Mail
	failures int
	changed  chan struct{}
}

func newFakeMailer() *fakeMailer { return &fakeMailer{changed: make(chan struct{}, 100)} }

func (m *fakeMailer) Deliver(_ context.Context, mail *mailout.Mail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failures > 0 {
		m.failures--
		return &mailout.Error{Err: errors.New("smarthost down")}
	}
	m.mails = append(m.mails, mail)
	m.changed <- struct{}{}
	return nil
}

func (m *fakeMailer) wait(t *testing.T, n int) []*mailout.Mail {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		m.mu.Lock()
		if len(m.mails) >= n {
			out := append([]*mailout.Mail(nil), m.mails...)
			m.mu.Unlock()
			return out
		}
		m.mu.Unlock()
		select {
		case <-m.changed:
		case <-deadline:
			t.Fatalf("%d reports, want %d", len(m.mails), n)
		}
	}
}

func testConfig() Config {
	return Config{
		Hostname: "gw.test", Domains: []string{"sms.test"}, ReportFrom: "smsbridge@sms.test",
		Aliases:     map[string][]string{"oncall": {"+14155550100", "+14155550101"}},
		Numbers:     carriers.NumberPolicy{DefaultRegion: "US"},
		Text:        mailtext.Options{Subject: mailtext.SubjectPrefix},
		SMS:         sms.Options{Mode: sms.ModeGSM7, Split: sms.SplitUDH, MaxParts: 6, Truncate: true},
		Validity:    time.Hour,
		ReceiptMode: "all",
		RetryFloor:  10 * time.Millisecond, RetryCeiling: 50 * time.Millisecond, MailRetryFloor: 10 * time.Millisecond,
	}
}

// startTestGateway runs a gateway on a real store in a temporary directory;
// edit, when given, changes its options first.
func startTestGateway(t *testing.T, cfg Config, tr *fakeTransport, mailer *fakeMailer, edit ...func(*Options)) (*Gateway, *store.DB) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "q.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opt := Options{Store: st, Lanes: []Lane{{Transport: tr, Slots: 4}}, Mailer: mailer,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))}
	for _, e := range edit {
		e(&opt)
	}
	g, err := New(cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { g.Run(ctx, 5*time.Second); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		st.Close()
	})
	return g, st
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// submit runs a mail through Recipient and Submit as the SMTP server would.
func submit(t *testing.T, g *Gateway, from string, rcpts []string, body string) (string, error) {
	t.Helper()
	return submitAs(g, Mail{ConnID: "test", From: from}, rcpts, body)
}

// submitAs runs a mail for env through Recipient and Submit, with its
// recipients rcpts.
func submitAs(g *Gateway, env Mail, rcpts []string, body string) (string, error) {
	for _, r := range rcpts {
		numbers, err := g.Recipient(context.Background(), env.User, r)
		if err != nil {
			return "", err
		}
		env.Recipients = append(env.Recipients, MailRecipient{Address: r, Numbers: numbers})
	}
	return g.Submit(context.Background(), env, []byte(body))
}

func TestRecipientAnswers(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.AcceptCarrierDomains = true
	g, err := New(cfg, Options{Store: nopStore{}, Lanes: []Lane{{Transport: newFakeTransport(nil)}}, Mailer: newFakeMailer()})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		addr    string
		refused error
		numbers []string
	}{
		{"4151234567@sms.test", nil, []string{"+14151234567"}},
		{"+14151234567@SMS.TEST.", nil, []string{"+14151234567"}},
		{"1-415-123-4567@sms.test", nil, []string{"+14151234567"}},
		{"(415)123-4567@sms.test", nil, []string{"+14151234567"}},
		{"OnCall@sms.test", nil, []string{"+14155550100", "+14155550101"}},
		{"4151234567@vtext.com", nil, []string{"+14151234567"}},
		{"4151234567@example.com", ErrNotServed, nil},
		{"someone@sms.test", ErrBadRecipient, nil},
		{"12@sms.test", ErrBadRecipient, nil},
		{"no-at-sign", ErrBadAddress, nil},
	}
	for _, tc := range cases {
		data, err := g.Recipient(context.Background(), "", tc.addr)
		var r *Refusal
		switch {
		case tc.refused == nil && err != nil:
			t.Errorf("%s: %v", tc.addr, err)
		case tc.refused != nil && (!errors.As(err, &r) || !errors.Is(err, tc.refused)):
			t.Errorf("%s: got %v, want a refusal for %v", tc.addr, err, tc.refused)
		case tc.refused == nil && fmt.Sprint(data) != fmt.Sprint(tc.numbers):
			t.Errorf("%s: numbers %v, want %v", tc.addr, data, tc.numbers)
		}
	}
}

// nopStore satisfies Store for tests that only check recipients: nobody
// has opted out.
type nopStore struct{ Store }

func (nopStore) OptedOut(string) (bool, time.Time, error) { return false, time.Time{}, nil }

func TestDeliveredReport(t *testing.T) {
	t.Parallel()
	tr := deliveringTransport()
	mailer := newFakeMailer()
	g, _ := startTestGateway(t, testConfig(), tr, mailer)
	body := "Subject: Backup\r\nMessage-ID: <m1@example.com>\r\n\r\n" + strings.Repeat("The nightly backup completed. ", 9) + "\r\n"
	if _, err := submit(t, g, "ops@example.com", []string{"oncall@sms.test"}, body); err != nil {
		t.Fatal(err)
	}
	mails := mailer.wait(t, 2)
	if tr.sentCount() != 4 {
		t.Errorf("%d parts sent, want 2 numbers × 2 parts", tr.sentCount())
	}
	for _, m := range mails {
		if m.From != "" || m.To[0] != "ops@example.com" || !bytes.Contains(m.Data, []byte("Subject: Delivered: Backup")) {
			t.Errorf("report %q → %v:\n%s", m.From, m.To, m.Data)
		}
	}
	tr.mu.Lock()
	refs := map[uint8]bool{}
	for _, p := range tr.sent {
		refs[p.Ref] = true
	}
	tr.mu.Unlock()
	if len(refs) != 2 {
		t.Errorf("two numbers share a concatenation reference set %v; each must have its own", refs)
	}
}

func TestRetryThenPermanentFailure(t *testing.T) {
	t.Parallel()
	tr := newFakeTransport(func(n int, p *transport.Part) (string, error) {
		if n < 3 {
			return "", transport.Temporary("0x00000058 ESME_RTHROTTLED", errors.New("throttled"))
		}
		return "", transport.Permanent("0x0000000B ESME_RINVDSTADR", errors.New("invalid destination"))
	})
	mailer := newFakeMailer()
	g, st := startTestGateway(t, testConfig(), tr, mailer)
	id, err := submit(t, g, "ops@example.com", []string{"4151234567@sms.test"}, "Subject: x\r\n\r\nhello\r\n")
	if err != nil {
		t.Fatal(err)
	}
	mails := mailer.wait(t, 1)
	if !bytes.Contains(mails[0].Data, []byte("Undeliverable: x")) || !bytes.Contains(mails[0].Data, []byte("ESME_RINVDSTADR")) {
		t.Errorf("failure report:\n%s", mails[0].Data)
	}
	m, err := st.Message(id)
	if err != nil {
		t.Fatal(err)
	}
	if p := m.Recipients[0].Parts[0]; p.State != store.PartFailed || p.Attempts != 3 {
		t.Errorf("part %s after %d attempts, want failed after 3", p.State, p.Attempts)
	}
}

func TestExpiresWhenAlwaysTemporary(t *testing.T) {
	t.Parallel()
	tr := newFakeTransport(func(int, *transport.Part) (string, error) {
		return "", transport.Temporary("", errors.New("SMSC unreachable"))
	})
	mailer := newFakeMailer()
	cfg := testConfig()
	cfg.Validity = 200 * time.Millisecond
	g, _ := startTestGateway(t, cfg, tr, mailer)
	if _, err := submit(t, g, "ops@example.com", []string{"4151234567@sms.test"}, "Subject: x\r\n\r\nhello\r\n"); err != nil {
		t.Fatal(err)
	}
	mails := mailer.wait(t, 1)
	if !bytes.Contains(mails[0].Data, []byte("Status: 5.4.7")) {
		t.Errorf("expiry report:\n%s", mails[0].Data)
	}
	if tr.sentCount() < 2 {
		t.Errorf("only %d attempts before expiry", tr.sentCount())
	}
}

func TestReportRetriedAndNeverToNullSender(t *testing.T) {
	t.Parallel()
	tr := newFakeTransport(func(n int, p *transport.Part) (string, error) {
		return "", transport.Permanent("", errors.New("rejected"))
	})
	mailer := newFakeMailer()
	mailer.failures = 3
	g, st := startTestGateway(t, testConfig(), tr, mailer)
	nullID, err := submit(t, g, "", []string{"4151234567@sms.test"}, "Subject: bounce\r\n\r\nhello\r\n")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := submit(t, g, "ops@example.com", []string{"4151234568@sms.test"}, "Subject: y\r\n\r\nhello\r\n"); err != nil {
		t.Fatal(err)
	}
	g.reports.kick()
	mails := mailer.wait(t, 1)
	time.Sleep(100 * time.Millisecond)
	mailer.mu.Lock()
	n := len(mailer.mails)
	mailer.mu.Unlock()
	if n != 1 || mails[0].To[0] != "ops@example.com" {
		t.Errorf("%d reports (first to %v), want exactly one to ops@example.com", n, mails[0].To)
	}
	m, err := st.Message(nullID)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Recipients[0].Reported {
		t.Error("mail from <> not marked reported")
	}
}

func TestSubmitRefusals(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.SMS.MaxParts, cfg.SMS.Truncate = 1, false
	g, _ := startTestGateway(t, cfg, newFakeTransport(func(int, *transport.Part) (string, error) { return "x", nil }), newFakeMailer())
	for _, tc := range []struct {
		name, body string
		want       error
	}{
		{"empty", "Subject: \r\n\r\n   \r\n", ErrEmpty},
		{"too long", "Subject: x\r\n\r\n" + strings.Repeat("word ", 40) + "\r\n", ErrTooLong},
	} {
		_, err := submit(t, g, "ops@example.com", []string{"4151234567@sms.test"}, tc.body)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestParseKeyword(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]keyword{
		"STOP": keywordStop, "stop": keywordStop, " Stop. ": keywordStop, "STOPALL": keywordStop, "unsubscribe": keywordStop,
		"Cancel": keywordStop, "END": keywordStop, "quit!": keywordStop,
		"START": keywordStart, "unstop": keywordStart,
		"HELP": keywordHelp, "info?": keywordHelp,
		"stop it": noKeyword, "please stop": noKeyword, "": noKeyword, "STOPP": noKeyword,
	} {
		if got := parseKeyword(text); got != want {
			t.Errorf("parseKeyword(%q) = %d, want %d", text, got, want)
		}
	}
}

// downTransport is a transport that never comes up.
type downTransport struct{ *fakeTransport }

func (downTransport) Name() string { return "down" }
func (downTransport) Up() bool     { return false }

// TestDeadRouteDoesNotStarveOthers: parts whose only transport is down fill
// the head of the queue; parts routed to a working transport still go out,
// and the stranded parts stay queued with no attempt counted.
func TestDeadRouteDoesNotStarveOthers(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Routes = carriers.Routes{{Prefix: "+1415", Transports: []string{"down"}}, {Prefix: "+", Transports: []string{"fake"}}}
	up := newFakeTransport(func(n int, p *transport.Part) (string, error) { return fmt.Sprintf("id-%d", n), nil })
	st, err := store.Open(filepath.Join(t.TempDir(), "q.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g, err := New(cfg, Options{Store: st, Mailer: newFakeMailer(), Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Lanes: []Lane{{Transport: up, Slots: 4}, {Transport: downTransport{newFakeTransport(nil)}, Slots: 4}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var stranded []string
	for i := range 20 {
		n := fmt.Sprintf("+1415555%04d", i)
		id, err := g.SendText(ctx, "test", "", []string{n}, "for the dead route")
		if err != nil {
			t.Fatal(err)
		}
		stranded = append(stranded, id)
	}
	if _, err := g.SendText(ctx, "test", "", []string{"+442079460958"}, "for the working route"); err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { g.Run(rctx, time.Second); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for up.sentCount() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the part for the working route never went out")
		}
		time.Sleep(10 * time.Millisecond)
	}
	m, err := st.Message(stranded[0])
	if err != nil {
		t.Fatal(err)
	}
	if p := m.Recipients[0].Parts[0]; p.State != store.PartQueued || p.Attempts != 0 {
		t.Errorf("stranded part is %s after %d attempts, want queued with none", p.State, p.Attempts)
	}
}

// TestInboundDoneOnceKept: an SMS from a phone is reported kept (done(nil))
// once its mail is queued, and not kept when the mail cannot be, so that the
// transport leaves it unacknowledged and the network sends it again.
func TestInboundDoneOnceKept(t *testing.T) {
	cfg := testConfig()
	cfg.InboundDefaultTo = "desk@example.com"
	tr := newFakeTransport(func(int, *transport.Part) (string, error) { return "id", nil })
	mailer := newFakeMailer()
	_, st := startTestGateway(t, cfg, tr, mailer)
	<-tr.ready
	tr.mu.Lock()
	h := tr.handler
	tr.mu.Unlock()
	inbound := func(text string) error {
		t.Helper()
		return handled(t, func(done func(error)) {
			h.HandleInbound(transport.Inbound{Transport: "fake", From: "+14155550100", To: "12345", Text: text, Received: time.Now()}, done)
		})
	}
	if err := inbound("on my way"); err != nil {
		t.Fatalf("done(%v) for an SMS mailed on", err)
	}
	if m := mailer.wait(t, 1); !bytes.Contains(m[0].Data, []byte("on my way")) {
		t.Errorf("mail for the SMS:\n%s", m[0].Data)
	}
	st.Close() // every write fails from now on
	if err := inbound("nobody will see this"); err == nil {
		t.Error("done(nil) for an SMS whose mail could not be queued")
	}
}

// TestReceiptDoneOnceApplied: a receipt is reported done once its part's
// final state is stored, and not done when it cannot be, so that the
// transport leaves it unacknowledged and the network sends it again.
func TestReceiptDoneOnceApplied(t *testing.T) {
	tr := newFakeTransport(func(n int, p *transport.Part) (string, error) { return fmt.Sprintf("id-%d", n), nil })
	g, st := startTestGateway(t, testConfig(), tr, newFakeMailer())
	if _, err := submit(t, g, "ops@example.com", []string{"oncall@sms.test"}, "Subject: x\r\n\r\nshort\r\n"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"id-1", "id-2"} {
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if _, ok, _ := st.Lookup("fake", id); ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never recorded as submitted", id)
			}
		}
	}
	tr.mu.Lock()
	h := tr.handler
	tr.mu.Unlock()
	receipt := func(id string) error {
		t.Helper()
		return handled(t, func(done func(error)) {
			h.HandleReceipt(transport.Receipt{Transport: "fake", MessageID: id, State: transport.StateDelivered, Done: time.Now()}, done)
		})
	}
	if err := receipt("id-1"); err != nil {
		t.Fatalf("done(%v) for a receipt applied", err)
	}
	if _, ok, _ := st.Lookup("fake", "id-1"); ok {
		t.Error("part still waiting for its receipt after done(nil)")
	}
	st.Close() // every read and write fails from now on
	if err := receipt("id-2"); err == nil {
		t.Error("done(nil) for a receipt that could not be applied")
	}
}

// handled runs call and returns what it reports through done.
func handled(t *testing.T, call func(done func(error))) error {
	t.Helper()
	res := make(chan error, 1)
	call(func(err error) { res <- err })
	select {
	case err := <-res:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("done never called")
		return nil
	}
}
