package bridge

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/carriers"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport"
)

// idleGateway is a gateway that is never Run: what is queued stays queued.
func idleGateway(t *testing.T, cfg Config) (*Gateway, *store.DB) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "q.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tr := newFakeTransport(func(int, *transport.Part) (string, error) { return "id", nil })
	g, err := New(cfg, Options{Store: st, Lanes: []Lane{{Transport: tr, Slots: 1}}, Mailer: newFakeMailer(),
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return g, st
}

func TestResolveNumbers(t *testing.T) {
	t.Parallel()
	g, st := idleGateway(t, testConfig())
	if err := st.OptOut(context.Background(), "+14155550101", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := st.OptOut(context.Background(), "+14155550199", time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		to   []string
		want []string
		err  error
	}{
		{"national", []string{"4151234567"}, []string{"+14151234567"}, nil},
		{"forms and duplicates", []string{"+1 (415) 123-4567", "1-415-123-4567", "4155550123"}, []string{"+14151234567", "+14155550123"}, nil},
		{"alias without the opted-out member", []string{"OnCall"}, []string{"+14155550100"}, nil},
		{"address of a served domain", []string{"4151234567@SMS.test"}, []string{"+14151234567"}, nil},
		{"address elsewhere", []string{"4151234567@example.com"}, nil, ErrBadRecipient},
		{"not a number", []string{"hello"}, nil, ErrBadRecipient},
		{"empty list", nil, nil, ErrBadRecipient},
		{"opted out", []string{"4155550199"}, nil, ErrOptedOut},
	} {
		got, err := g.ResolveNumbers(tc.to)
		if !errors.Is(err, tc.err) || !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v %v, want %v %v", tc.name, got, err, tc.want, tc.err)
		}
	}
}

func TestNormalizeNumberPolicy(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Numbers = carriers.NumberPolicy{DefaultRegion: "US", AllowedCountries: []string{"US"}}
	g, _ := idleGateway(t, cfg)
	if n, err := g.NormalizeNumber(" 415 123 4567 "); err != nil || n != "+14151234567" {
		t.Errorf("US number: %q %v", n, err)
	}
	if _, err := g.NormalizeNumber("+442079460958"); !errors.Is(err, ErrBadRecipient) {
		t.Errorf("UK number with US only: %v", err)
	}
}

func TestCancelAndRetryMessage(t *testing.T) {
	t.Parallel()
	g, st := idleGateway(t, testConfig())
	ctx := context.Background()
	long := "a long text" // made to need two parts
	for len(long) < 200 {
		long += "word "
	}
	id, err := g.SendText(ctx, "api", "ops@example.com", []string{"+14151234567", "+14151234568"}, long)
	if err != nil {
		t.Fatal(err)
	}
	k := store.PartKey{Msg: id, Rcpt: 0, Part: 0}
	if _, err := st.Begin(ctx, []store.PartKey{k}, "fake", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := st.Retry(ctx, k, time.Now().Add(time.Hour), "throttled", time.Now()); err != nil {
		t.Fatal(err)
	}
	if n, err := g.RetryMessage(ctx, id); err != nil || n != 4 {
		t.Fatalf("retry: %d %v", n, err)
	}
	due, err := st.Due(time.Now(), 10)
	if err != nil || len(due) != 4 {
		t.Fatalf("due after retry: %d %v", len(due), err)
	}
	if n, err := g.CancelMessage(ctx, id); err != nil || n != 4 {
		t.Fatalf("cancel: %d %v", n, err)
	}
	m, err := st.Message(id)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range m.Recipients {
		if s := store.RecipientState(r.Parts); s != store.PartCancelled || r.Parts[0].Error != CancelReason {
			t.Errorf("recipient %s: %s %q", r.Number, s, r.Parts[0].Error)
		}
	}
	if n, err := g.CancelMessage(ctx, id); err != nil || n != 0 {
		t.Errorf("second cancel: %d %v", n, err)
	}
	if _, err := g.CancelMessage(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
}

func TestRouteOf(t *testing.T) {
	t.Parallel()
	g, _ := idleGateway(t, testConfig())
	if got := g.RouteOf("+14151234567"); got != "fake" {
		t.Errorf("no routes: %q", got)
	}
	cfg := testConfig()
	cfg.Routes = carriers.Routes{{Prefix: "+1", Transports: []string{"fake"}}}
	g, _ = idleGateway(t, cfg)
	if got := g.RouteOf("+14151234567"); got != "fake" {
		t.Errorf("+1: %q", got)
	}
	if got := g.RouteOf("+442079460958"); got != "" {
		t.Errorf("unrouted: %q", got)
	}
}

// TestRetryFailedMessage: once the operator fixed the cause, a failed
// message is sent again with a fresh validity, and its report is sent
// again when it ends.
func TestRetryFailedMessage(t *testing.T) {
	t.Parallel()
	tr := newFakeTransport(func(n int, p *transport.Part) (string, error) {
		if n == 1 {
			return "", transport.Permanent("0x00000045 ESME_RSUBMITFAIL", errors.New("no credit"))
		}
		return "id-2", nil
	})
	mailer := newFakeMailer()
	g, st := startTestGateway(t, testConfig(), tr, mailer)
	ctx := context.Background()
	id, err := submit(t, g, "ops@example.com", []string{"4151234567@sms.test"}, "Subject: x\r\n\r\nhello\r\n")
	if err != nil {
		t.Fatal(err)
	}
	if m := mailer.wait(t, 1); !bytes.Contains(m[0].Data, []byte("Action: failed")) {
		t.Fatalf("first report:\n%s", m[0].Data)
	}
	before, err := st.Message(id)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	if n, err := g.RetryMessage(ctx, id); err != nil || n != 1 {
		t.Fatalf("RetryMessage of a failed message = %d %v, want 1 part", n, err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, ok, _ := st.Lookup("fake", "id-2"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the part was not sent again")
		}
	}
	after, err := st.Message(id)
	if err != nil {
		t.Fatal(err)
	}
	if !after.Expires.After(before.Expires) {
		t.Errorf("validity %v after the retry, %v before: want a fresh one", after.Expires, before.Expires)
	}
	tr.receipt("id-2", transport.StateDelivered)
	if m := mailer.wait(t, 2); !bytes.Contains(m[1].Data, []byte("Action: delivered")) {
		t.Errorf("report after the retry:\n%s", m[1].Data)
	}
	if n, err := g.RetryMessage(ctx, id); err != nil || n != 0 {
		t.Errorf("RetryMessage of a delivered message = %d %v, want nothing", n, err)
	}
}
