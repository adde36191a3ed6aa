package bridge

import (
	"context"
	"fmt"
	"time"

	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport"
)

// parked is a receipt that came before its submit was recorded, as the
// store keeps it (ReceiptStore): it has been acknowledged to the network,
// so a crash must not lose it.
func parked(r transport.Receipt, at time.Time) store.ParkedReceipt {
	return store.ParkedReceipt{Transport: r.Transport, ID: r.MessageID, State: uint8(r.State), ErrorCode: r.ErrorCode, Done: r.Done, Parked: at}
}

func parkedAll(rs []transport.Receipt) []store.ParkedReceipt {
	out := make([]store.ParkedReceipt, len(rs))
	for i, r := range rs {
		out[i] = parked(r, time.Time{})
	}
	return out
}

func unparked(p store.ParkedReceipt) transport.Receipt {
	return transport.Receipt{Transport: p.Transport, MessageID: p.ID, State: transport.ReceiptState(p.State), ErrorCode: p.ErrorCode, Done: p.Done}
}

// persist stores a receipt just parked in memory, and forgets in the same
// commit those pushed out; done is not reported before it is stored.
func (m *receiptMatcher) persist(ctx context.Context, r transport.Receipt, at time.Time, dropped []transport.Receipt) error {
	if err := m.g.st.ParkReceipt(context.WithoutCancel(ctx), parked(r, at), parkedAll(dropped)); err != nil {
		m.mu.Lock()
		m.early.take(receiptKey(r.Transport, r.MessageID))
		m.mu.Unlock()
		m.g.log.Error("keeping a receipt that came before its submit", "transport", r.Transport, "id", r.MessageID,
			"hold_off", m.g.dispatch.storeFail.failed(err).String(), "err", err)
		return fmt.Errorf("keeping receipt: %w", err)
	}
	return nil
}

// forget removes receipts applied or given up from the store.
func (m *receiptMatcher) forget(ctx context.Context, rs []transport.Receipt) {
	if len(rs) == 0 {
		return
	}
	if err := m.g.st.UnparkReceipts(context.WithoutCancel(ctx), parkedAll(rs)); err != nil {
		// Harmless: at the next start they are matched or given up again.
		m.g.log.Warn("forgetting parked receipts", "receipts", len(rs), "err", err)
	}
}

// restore takes up the receipts parked before a restart: those whose
// submit is recorded now are applied, the rest wait again with their
// first time.
func (m *receiptMatcher) restore(ctx context.Context) {
	all, err := m.g.st.ParkedReceipts()
	if err != nil {
		m.g.log.Error("reading parked receipts; they stay until the next start", "err", err)
		return
	}
	var dropped []transport.Receipt
	for _, p := range all {
		r := unparked(p)
		if _, ok, err := m.g.st.Lookup(r.Transport, r.MessageID); err == nil && ok {
			m.HandleReceipt(r, m.appliedLater(ctx, r))
			continue
		}
		m.mu.Lock()
		dropped = append(dropped, m.early.park(receiptKey(r.Transport, r.MessageID), r, p.Parked)...)
		m.mu.Unlock()
	}
	m.forget(ctx, dropped)
	m.unmatchedGone(dropped, "too many receipts wait for their submit; the oldest is dropped")
	if len(all) > 0 {
		m.g.log.Info("receipts kept before the restart taken up", "receipts", len(all))
	}
}

// appliedLater is the done of a parked receipt handled again: once
// applied, it is forgotten.
func (m *receiptMatcher) appliedLater(ctx context.Context, r transport.Receipt) func(error) {
	return func(err error) {
		if err != nil {
			m.g.log.Error("receipt that came before its submit not applied; kept for the next start", "transport", r.Transport, "id", r.MessageID, "err", err)
			return
		}
		m.forget(ctx, []transport.Receipt{r})
	}
}
