package bridge

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport"
)

// benchGateway is a gateway on a real store whose transport answers at
// once; delivered counts the parts that reached a final state.
func benchGateway(b *testing.B, answer func(n int, p *transport.Part) (string, error)) (*Gateway, *store.DB, *fakeTransport) {
	b.Helper()
	cfg := testConfig()
	cfg.ReceiptMode = "none"
	tr := newFakeTransport(answer)
	st, err := store.Open(b.TempDir()+"/q.db", store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	g, err := New(cfg, Options{Store: st, Lanes: []Lane{{Transport: tr, Slots: 50}}, Mailer: newFakeMailer(),
		Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { g.Run(ctx, 5*time.Second); close(done) }()
	b.Cleanup(func() { cancel(); <-done; st.Close() })
	return g, st, tr
}

// enqueueN stores n one-part messages, 64 at a time as concurrent SMTP
// sessions would.
func enqueueN(b *testing.B, g *Gateway, n int) {
	b.Helper()
	ctx := context.Background()
	sem := make(chan struct{}, 64)
	errs := make(chan error, n)
	for i := range n {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			_, err := g.SendText(ctx, "bench", "", []string{fmt.Sprintf("+1415%07d", i)}, "Backup finished on db-1.")
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDispatch: queued parts leased, submitted and recorded, per part.
func BenchmarkDispatch(b *testing.B) {
	var sent atomic.Int64
	g, _, _ := benchGateway(b, func(n int, p *transport.Part) (string, error) {
		sent.Add(1)
		return fmt.Sprintf("id-%d", n), nil
	})
	b.ResetTimer()
	enqueueN(b, g, b.N)
	for sent.Load() < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "parts/s")
}

// BenchmarkReceiptMatch: receipts matched to their parts and the parts
// finished, per receipt.
func BenchmarkReceiptMatch(b *testing.B) {
	var sent atomic.Int64
	g, st, tr := benchGateway(b, func(n int, p *transport.Part) (string, error) {
		sent.Add(1)
		return fmt.Sprintf("id-%d", n), nil
	})
	enqueueN(b, g, b.N)
	for sent.Load() < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	for { // every submission recorded
		stats, _ := st.Stats()
		if stats[store.PartSubmitted] == b.N {
			break
		}
		time.Sleep(time.Millisecond)
	}
	b.ResetTimer()
	for i := 1; i <= b.N; i++ {
		tr.receipt(fmt.Sprintf("id-%d", i), transport.StateDelivered)
	}
	for {
		stats, _ := st.Stats()
		if stats[store.PartDelivered] == b.N {
			break
		}
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "receipts/s")
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
