package simulator

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/transport"
)

type recorder struct{ receipts chan transport.Receipt }

func newRecorder() *recorder { return &recorder{receipts: make(chan transport.Receipt, 1024)} }

func (r *recorder) HandleReceipt(rc transport.Receipt, done func(error)) {
	r.receipts <- rc
	done(nil)
}
func (r *recorder) HandleInbound(_ transport.Inbound, done func(error)) { done(nil) }

// next waits for one receipt.
func (r *recorder) next(t *testing.T) transport.Receipt {
	t.Helper()
	select {
	case rc := <-r.receipts:
		return rc
	case <-time.After(5 * time.Second):
		t.Fatal("no receipt within 5s")
		return transport.Receipt{}
	}
}

// none checks that no receipt arrives within d.
func (r *recorder) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case rc := <-r.receipts:
		t.Fatalf("unexpected receipt %+v", rc)
	case <-time.After(d):
	}
}

// run starts s.Run until the test ends and returns the recorder.
func run(t *testing.T, s *Simulator) *recorder {
	t.Helper()
	rec := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, rec) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return rec
}

func part(to string, receipt bool) *transport.Part {
	return &transport.Part{To: to, Text: "disk full", Payload: []byte("disk full"), Encoding: sms.GSM7, Seq: 1, Total: 1, Receipt: receipt}
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestReceiptStates(t *testing.T) {
	t.Parallel()
	s := New(Config{Delay: 10 * time.Millisecond, FailPrefixes: []string{"+1555", "44"}, Logger: quiet()})
	rec := run(t, s)
	expired := part("+14155550100", true)
	expired.Expires = time.Now().Add(time.Millisecond)
	tests := []struct {
		p    *transport.Part
		want transport.ReceiptState
	}{
		{part("+14151234567", true), transport.StateDelivered},
		{part("+15551234567", true), transport.StateUndeliverable},
		{part("+447700900123", true), transport.StateUndeliverable}, // prefix given without '+'
		{part("+4155551234", true), transport.StateDelivered},       // "+1555" is not a prefix of it
		{expired, transport.StateExpired},
	}
	want := map[string]transport.ReceiptState{}
	for _, tt := range tests {
		id, err := s.Send(context.Background(), tt.p)
		if err != nil {
			t.Fatalf("Send(%s): %v", tt.p.To, err)
		}
		if _, dup := want[id]; dup {
			t.Fatalf("id %s given twice", id)
		}
		want[id] = tt.want
	}
	if _, err := s.Send(context.Background(), part("+14151234567", false)); err != nil {
		t.Fatal(err)
	}
	for range tests {
		rc := rec.next(t)
		if rc.State != want[rc.MessageID] || rc.Transport != DefaultName || rc.Done.IsZero() {
			t.Errorf("receipt %+v, want state %v", rc, want[rc.MessageID])
		}
		delete(want, rc.MessageID)
	}
	rec.none(t, 50*time.Millisecond) // none for the part that asked for none
}

func TestReceiptAfterDelay(t *testing.T) {
	t.Parallel()
	const delay = 50 * time.Millisecond
	s := New(Config{Name: "sim1", Delay: delay, Logger: quiet()})
	rec := run(t, s)
	sent := time.Now()
	id, err := s.Send(context.Background(), part("+14151234567", true))
	if err != nil {
		t.Fatal(err)
	}
	rc := rec.next(t)
	if rc.MessageID != id || rc.Transport != "sim1" || rc.ErrorCode != "000" {
		t.Fatalf("receipt = %+v", rc)
	}
	if got := rc.Done.Sub(sent); got < delay {
		t.Fatalf("receipt after %v, before the %v delay", got, delay)
	}
}

func TestReceiptsInDueOrder(t *testing.T) {
	t.Parallel()
	s := New(Config{Delay: 20 * time.Millisecond, Logger: quiet()})
	var ids []string
	for i := range 20 { // sent before Run: all overdue when it starts
		id, err := s.Send(context.Background(), part(fmt.Sprintf("+1415555%04d", i), true))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	time.Sleep(30 * time.Millisecond)
	rec := run(t, s)
	for i, id := range ids {
		if rc := rec.next(t); rc.MessageID != id {
			t.Fatalf("receipt %d is for %s, want %s", i, rc.MessageID, id)
		}
	}
}

func TestSendErrors(t *testing.T) {
	t.Parallel()
	s := New(Config{Logger: quiet()})
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name      string
		ctx       context.Context
		p         *transport.Part
		permanent bool
	}{
		{"nil part", context.Background(), nil, true},
		{"national number", context.Background(), part("4151234567", true), true},
		{"leading zero", context.Background(), part("+04151234567", true), true},
		{"too long", context.Background(), part("+1234567890123456", true), true},
		{"letters", context.Background(), part("+1415CALLME", true), true},
		{"empty", context.Background(), part("", true), true},
		{"canceled", canceled, part("+14151234567", true), false},
	}
	for _, tt := range tests {
		id, err := s.Send(tt.ctx, tt.p)
		if err == nil || id != "" {
			t.Errorf("%s: Send = %q, %v; want an error", tt.name, id, err)
			continue
		}
		if transport.IsPermanent(err) != tt.permanent {
			t.Errorf("%s: permanent = %v, want %v (%v)", tt.name, !tt.permanent, tt.permanent, err)
		}
	}
	if n := len(s.Sent()); n != 0 {
		t.Fatalf("%d parts recorded from failed sends", n)
	}
}

func TestConcurrentSend(t *testing.T) {
	t.Parallel()
	s := New(Config{Delay: time.Millisecond, Logger: quiet()})
	rec := run(t, s)
	const workers, each = 8, 50
	ids := make(chan string, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				id, err := s.Send(context.Background(), part(fmt.Sprintf("+1415%03d%04d", w, i), true))
				if err != nil {
					t.Error(err)
					return
				}
				ids <- id
			}
		})
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
	}
	for range workers * each {
		rc := rec.next(t)
		if !seen[rc.MessageID] {
			t.Fatalf("receipt for unknown or repeated id %s", rc.MessageID)
		}
		delete(seen, rc.MessageID)
	}
	if n := len(s.Sent()); n != workers*each {
		t.Fatalf("Sent has %d parts, want %d", n, workers*each)
	}
}

func TestSentKeepsLatestCopies(t *testing.T) {
	t.Parallel()
	s := New(Config{KeepSent: 3, Logger: quiet()})
	for i := range 5 {
		p := part(fmt.Sprintf("+1415555000%d", i), false)
		if _, err := s.Send(context.Background(), p); err != nil {
			t.Fatal(err)
		}
		p.Payload[0] = 'X' // the caller reusing its buffer
	}
	got := s.Sent()
	if len(got) != 3 {
		t.Fatalf("Sent has %d parts, want 3", len(got))
	}
	for i, p := range got {
		if want := fmt.Sprintf("+1415555000%d", i+2); p.To != want || string(p.Payload) != "disk full" {
			t.Errorf("Sent[%d] = %s %q, want %s \"disk full\"", i, p.To, p.Payload, want)
		}
	}
	got[0].Payload[0] = 'Y'
	if again := s.Sent(); string(again[0].Payload) != "disk full" {
		t.Fatalf("Sent shares its payload with the caller: %q", again[0].Payload)
	}
}

func TestRunDropsPendingAndRunsOnce(t *testing.T) {
	t.Parallel()
	s := New(Config{Delay: time.Hour, Logger: quiet()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	rec := newRecorder()
	go func() { done <- s.Run(ctx, rec) }()
	if _, err := s.Send(context.Background(), part("+14151234567", true)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.running })
	second, stop := context.WithTimeout(context.Background(), time.Second)
	defer stop()
	if err := s.Run(second, rec); err == nil {
		t.Fatal("a second concurrent Run did not fail")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want nil when ctx ends", err)
	}
	s.mu.Lock()
	left := s.pending.Len()
	s.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d receipts still pending after Run ended", left)
	}
	rec.none(t, 20*time.Millisecond)
}

func TestSendLogsTheSMS(t *testing.T) {
	t.Parallel()
	for _, logText := range []bool{true, false} {
		var buf bytes.Buffer
		var mu sync.Mutex
		s := New(Config{Name: "tour", LogText: logText, Logger: slog.New(slog.NewTextHandler(&lockedWriter{&buf, &mu}, nil))})
		p := part("+14151234567", false)
		p.Seq, p.Total, p.Encoding = 2, 3, sms.UCS2
		id, err := s.Send(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		line := buf.String()
		mu.Unlock()
		want := []string{`msg="sms sent"`, "transport=tour", "to=+14151234567", "seq=2", "total=3", "encoding=ucs2", "id=" + id}
		if logText {
			want = append(want, `text="disk full"`)
		} else {
			want = append(want, "chars=9")
			if strings.Contains(line, "disk full") {
				t.Errorf("log_text off, yet the text is logged:\n%s", line)
			}
		}
		for _, w := range want {
			if !strings.Contains(line, w) {
				t.Errorf("log_text %v: log line lacks %s:\n%s", logText, w, line)
			}
		}
	}
}

func TestIDsDifferAcrossInstances(t *testing.T) {
	t.Parallel()
	a, b := New(Config{Logger: quiet()}), New(Config{Logger: quiet()})
	ida, _ := a.Send(context.Background(), part("+14151234567", false))
	idb, _ := b.Send(context.Background(), part("+14151234567", false))
	if ida == "" || ida == idb {
		t.Fatalf("ids %q and %q: a restarted simulator would reuse ids", ida, idb)
	}
}

type lockedWriter struct {
	buf *bytes.Buffer
	mu  *sync.Mutex
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 500 {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("condition not met within 2.5s")
}

func BenchmarkSend(b *testing.B) {
	s := New(Config{Delay: time.Millisecond, Logger: quiet()})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &discardHandler{}
	go func() { _ = s.Run(ctx, rec) }()
	p := part("+14151234567", true)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Send(context.Background(), p); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

type discardHandler struct{}

func (discardHandler) HandleReceipt(_ transport.Receipt, done func(error)) { done(nil) }
func (discardHandler) HandleInbound(_ transport.Inbound, done func(error)) { done(nil) }
