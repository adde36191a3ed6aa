package smpp

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/transport"
	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

func TestSubmitAndReceipt(t *testing.T) {
	t.Parallel()
	srv := startServer(t, smsctest.Options{SystemID: "user", Password: "pw", ReceiptDelay: 10 * time.Millisecond})
	rec := newRecorder()
	tr := startTransport(t, testConfig(srv.Addr()), rec)
	waitUp(t, tr)

	p := gsmPart(t, "+14155550100", "Hello €uro")
	p.Receipt = true
	p.Expires = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	id, err := tr.Send(ctxTimeout(t, 5*time.Second), p)
	if err != nil {
		t.Fatal(err)
	}
	subs := srv.Submits()
	if len(subs) != 1 {
		t.Fatalf("%d submits, want 1", len(subs))
	}
	s := subs[0]
	if s.Dest != "14155550100" || s.DestTON != 1 || s.Source != "SMSBRIDGE" || s.SourceTON != 5 ||
		s.DataCoding != 0 || s.RegisteredDelivery != 1 || s.MessageID != id || s.ValidityPeriod != "300102030405000+" {
		t.Errorf("submit = %+v", s)
	}
	if s.Text() != "Hello €uro" {
		t.Errorf("text = %q", s.Text())
	}
	rec.waitFor(t, 3*time.Second, func(r *recorder) bool { return len(r.receipts) == 1 })
	got := rec.receipts[0]
	if got.MessageID != id || got.State != transport.StateDelivered || got.ErrorCode != "000" || got.Transport != "smsc" {
		t.Errorf("receipt = %+v, want id %s delivered", got, id)
	}
}

func TestUCS2AndUDH(t *testing.T) {
	t.Parallel()
	srv := startServer(t, smsctest.Options{})
	tr := startTransport(t, testConfig(srv.Addr()), newRecorder())
	waitUp(t, tr)
	p := &transport.Part{To: "+33612345678", Encoding: sms.UCS2, Payload: sms.EncodeUCS2("Привет 👋"), Ref: 7, Seq: 2, Total: 3}
	if _, err := tr.Send(ctxTimeout(t, 5*time.Second), p); err != nil {
		t.Fatal(err)
	}
	s := srv.Submits()[0]
	if s.DataCoding != 8 || s.ESMClass != 0x40 || string(s.UDH) != string(sms.UDH(7, 2, 3)) || s.Text() != "Привет 👋" {
		t.Errorf("submit = %+v text %q", s, s.Text())
	}
}

func TestWindowRespected(t *testing.T) {
	t.Parallel()
	srv := startServer(t, smsctest.Options{Hold: true})
	cfg := testConfig(srv.Addr())
	cfg.Window, cfg.ResponseTimeout, cfg.InDoubtLimit = 3, 500*time.Millisecond, time.Second
	tr := startTransport(t, cfg, newRecorder())
	waitUp(t, tr)

	const n = 6
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := tr.Send(ctxTimeout(t, 10*time.Second), gsmPart(t, "+14155550100", "hi"))
			errs <- err
		}()
	}
	if _, err := srv.WaitSubmits(ctxTimeout(t, 3*time.Second), 3); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if got := len(srv.Submits()); got != 3 {
		t.Fatalf("%d submits in flight, window is 3", got)
	}
	srv.SetHold(false)
	var inDoubt, ok int
	for range n {
		switch err := <-errs; {
		case err == nil:
			ok++
		case transport.IsInDoubt(err) && !transport.IsPermanent(err):
			inDoubt++
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	if inDoubt != 3 || ok != 3 {
		t.Errorf("in doubt %d, ok %d; want 3 and 3", inDoubt, ok)
	}
}

func TestStatusClassified(t *testing.T) {
	t.Parallel()
	srv := startServer(t, smsctest.Options{})
	tr := startTransport(t, testConfig(srv.Addr()), newRecorder())
	waitUp(t, tr)
	ctx := ctxTimeout(t, 5*time.Second)

	srv.Throttle(1)
	_, err := tr.Send(ctx, gsmPart(t, "+14155550100", "a"))
	var te *transport.Error
	if !errors.As(err, &te) || !te.Temporary || te.InDoubt || te.Status != "0x00000058 ESME_RTHROTTLED" {
		t.Errorf("throttled: err = %v", err)
	}
	if _, err := tr.Send(ctx, gsmPart(t, "+14155550100", "a")); err != nil {
		t.Errorf("after throttling: %v", err)
	}

	srv.SetReject(0x0B)
	_, err = tr.Send(ctx, gsmPart(t, "+14155550100", "a"))
	if !errors.As(err, &te) || !transport.IsPermanent(err) || te.Status != "0x0000000B ESME_RINVDSTADR" {
		t.Errorf("rejected: err = %v", err)
	}
}

func TestLinkDropInDoubt(t *testing.T) {
	t.Parallel()
	srv := startServer(t, smsctest.Options{Hold: true})
	cfg := testConfig(srv.Addr())
	cfg.Window, cfg.ResponseTimeout = 4, 5*time.Second
	tr := startTransport(t, cfg, newRecorder())
	waitUp(t, tr)

	errs := make(chan error, 4)
	for range 4 {
		go func() {
			_, err := tr.Send(ctxTimeout(t, 10*time.Second), gsmPart(t, "+14155550100", "x"))
			errs <- err
		}()
	}
	if _, err := srv.WaitSubmits(ctxTimeout(t, 3*time.Second), 4); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	srv.DropConnections()
	for range 4 {
		err := <-errs
		if !transport.IsInDoubt(err) || transport.IsPermanent(err) {
			t.Errorf("err = %v, want temporary in doubt", err)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("in-doubt errors took %s; the drop should end them at once", d)
	}
	srv.SetHold(false)
	if _, err := tr.Send(ctxTimeout(t, 5*time.Second), gsmPart(t, "+14155550100", "after")); err != nil {
		t.Fatalf("send after rebind: %v", err)
	}
}

func TestBindRefusedBacksOff(t *testing.T) {
	t.Parallel()
	srv := startServer(t, smsctest.Options{SystemID: "user", Password: "right"})
	cfg := testConfig(srv.Addr())
	cfg.Password = "wrong"
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxTimeout(t, 2*time.Second)
	done := make(chan struct{})
	go func() { tr.Run(ctx, newRecorder()); close(done) }()

	// Send waits for a bind instead of failing at once, then gives up
	// temporarily when its context ends.
	_, err = tr.Send(ctxTimeout(t, 300*time.Millisecond), gsmPart(t, "+14155550100", "x"))
	if err == nil || transport.IsPermanent(err) || transport.IsInDoubt(err) {
		t.Errorf("Send while unbound: %v, want temporary", err)
	}
	<-done
	// Attempts at 0, ~0.5–1s, ~1.5–3s: a hot loop would make hundreds.
	if n := srv.BindAttempts(); n < 2 || n > 4 {
		t.Errorf("%d bind attempts in 2s, want 2..4", n)
	}
	if tr.Up() {
		t.Error("Up with a refused bind")
	}
}

func TestEnquireLinkTimeout(t *testing.T) {
	t.Parallel()
	srv := startServer(t, smsctest.Options{})
	cfg := testConfig(srv.Addr())
	cfg.EnquireLink, cfg.ResponseTimeout = 100*time.Millisecond, 200*time.Millisecond
	tr := startTransport(t, cfg, newRecorder())
	waitUp(t, tr)
	srv.IgnoreEnquireLink(true)
	for i := 0; srv.BindAttempts() < 2; i++ {
		if i > 200 {
			t.Fatal("no rebind within 2s of enquire_link going unanswered")
		}
		time.Sleep(10 * time.Millisecond)
	}
	srv.IgnoreEnquireLink(false)
	waitUp(t, tr)
	if _, err := tr.Send(ctxTimeout(t, 3*time.Second), gsmPart(t, "+14155550100", "x")); err != nil {
		t.Fatal(err)
	}
}

func TestInbound(t *testing.T) {
	t.Parallel()
	srv := startServer(t, smsctest.Options{})
	rec := newRecorder()
	tr := startTransport(t, testConfig(srv.Addr()), rec)
	waitUp(t, tr)

	long := strings.Repeat("Long message with {braces} ", 12)
	uniLong := strings.Repeat("Добрый день 👋 ", 10)
	mos := []smsctest.MO{
		{From: "+14155550100", To: "12345", Text: "Hi there"},
		{From: "+14155550101", To: "12345", Text: long},
		{From: "+14155550102", To: "12345", Text: long, Ref16: true, Reverse: true},
		{From: "+14155550103", To: "12345", Text: uniLong, SAR: true},
	}
	for _, m := range mos {
		if err := srv.SendMOWith(m); err != nil {
			t.Fatal(err)
		}
	}
	rec.waitFor(t, 3*time.Second, func(r *recorder) bool { return len(r.inbound) == len(mos) })
	got := map[string]transport.Inbound{}
	for _, in := range rec.inbound {
		got[in.From] = in
	}
	for _, m := range mos {
		in := got[m.From]
		if in.Text != m.Text || in.To != "12345" || in.Transport != "smsc" {
			t.Errorf("from %s: got %+v, want text %q", m.From, in, m.Text)
		}
	}
}

func TestReceiptBeforeSubmitResp(t *testing.T) {
	t.Parallel()
	for _, opt := range []smsctest.Options{
		{ReceiptDelay: time.Millisecond, ReceiptFirst: true},
		{ReceiptDelay: time.Millisecond, ReceiptFirst: true, ReceiptIDDecimal: true},
		{ReceiptDelay: time.Millisecond, ReceiptIDDecimal: true},
	} {
		srv := startServer(t, opt)
		rec := newRecorder()
		tr := startTransport(t, testConfig(srv.Addr()), rec)
		waitUp(t, tr)
		p := gsmPart(t, "+14155550100", "x")
		p.Receipt = true
		id, err := tr.Send(ctxTimeout(t, 3*time.Second), p)
		if err != nil {
			t.Fatal(err)
		}
		rec.waitFor(t, 3*time.Second, func(r *recorder) bool { return len(r.receipts) == 1 })
		if got := rec.receipts[0]; got.MessageID != id || got.State != transport.StateDelivered {
			t.Errorf("%+v: receipt %+v, want id %s", opt, got, id)
		}
	}
}

func TestReceiverPair(t *testing.T) {
	t.Parallel()
	srv := startServer(t, smsctest.Options{ReceiptDelay: time.Millisecond})
	cfg := testConfig(srv.Addr())
	cfg.Bind, cfg.Binds = "transmitter+receiver", 2
	rec := newRecorder()
	tr := startTransport(t, cfg, rec)
	waitUp(t, tr)
	for i := 0; srv.Bound() < 4; i++ {
		if i > 300 {
			t.Fatalf("%d binds, want 4", srv.Bound())
		}
		time.Sleep(10 * time.Millisecond)
	}
	var wg sync.WaitGroup
	ids := make([]string, 4)
	for i := range ids {
		wg.Go(func() {
			p := gsmPart(t, "+14155550100", "x")
			p.Receipt = true
			var err error
			if ids[i], err = tr.Send(ctxTimeout(t, 3*time.Second), p); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	rec.waitFor(t, 3*time.Second, func(r *recorder) bool { return len(r.receipts) == len(ids) })
}

// TestInboundAcknowledgedOnceKept: a deliver_sm with an SMS from a phone is
// answered ESME_RX_T_APPN while the handler cannot keep it, so that the
// SMSC sends it again, and ESME_ROK once it can.
func TestInboundAcknowledgedOnceKept(t *testing.T) {
	t.Parallel()
	srv := startServer(t, smsctest.Options{})
	rec := newRecorder()
	rec.refuse = errors.New("store full")
	tr := startTransport(t, testConfig(srv.Addr()), rec)
	waitUp(t, tr)

	if err := srv.SendMO("+14155550100", "12345", "kept later"); err != nil {
		t.Fatal(err)
	}
	if got := waitDeliverStatuses(srv, 1); len(got) != 1 || got[0] != pdu.StatusXPAppn {
		t.Fatalf("deliver_sm_resp statuses %#x, want [0x64] while the SMS cannot be kept", got)
	}
	rec.mu.Lock()
	rec.refuse = nil
	rec.mu.Unlock()
	if err := srv.SendMO("+14155550100", "12345", "kept later"); err != nil {
		t.Fatal(err)
	}
	if got := waitDeliverStatuses(srv, 2); len(got) != 2 || got[1] != pdu.StatusOK {
		t.Fatalf("deliver_sm_resp statuses %#x, want [0x64 0x0]", got)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.inbound) != 1 || rec.inbound[0].Text != "kept later" {
		t.Errorf("handler kept %+v, want the SMS once", rec.inbound)
	}
}

// TestReceiptAcknowledgedOnceApplied: a receipt's deliver_sm is answered
// ESME_RX_T_APPN while the handler cannot apply it, ESME_ROK once it can.
func TestReceiptAcknowledgedOnceApplied(t *testing.T) {
	t.Parallel()
	srv := startServer(t, smsctest.Options{ReceiptDelay: 10 * time.Millisecond})
	rec := newRecorder()
	rec.refuse = errors.New("store full")
	tr := startTransport(t, testConfig(srv.Addr()), rec)
	waitUp(t, tr)
	send := func() {
		t.Helper()
		p := gsmPart(t, "+14155550100", "receipt please")
		p.Receipt = true
		if _, err := tr.Send(ctxTimeout(t, 5*time.Second), p); err != nil {
			t.Fatal(err)
		}
	}
	send()
	if got := waitDeliverStatuses(srv, 1); len(got) != 1 || got[0] != pdu.StatusXPAppn {
		t.Fatalf("deliver_sm_resp statuses %#x, want [0x64] while the receipt cannot be applied", got)
	}
	rec.mu.Lock()
	rec.refuse = nil
	rec.mu.Unlock()
	send()
	if got := waitDeliverStatuses(srv, 2); len(got) != 2 || got[1] != pdu.StatusOK {
		t.Fatalf("deliver_sm_resp statuses %#x, want [0x64 0x0]", got)
	}
}
