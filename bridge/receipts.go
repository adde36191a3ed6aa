package bridge

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport"
)

const (
	receiptQueue = 4096             // receipts waiting to be matched, at most
	earlyTTL     = 10 * time.Minute // how long a receipt may wait for its submit to be recorded
	rematchEvery = 10 * time.Second // how often waiting receipts are looked up again
)

// receiptMatcher matches delivery receipts to parts. A receipt can arrive
// before the submit it reports on has been recorded (the SMSC answered the
// submit and delivered at once), so unmatched receipts wait a while.
type receiptMatcher struct {
	g    *Gateway
	ch   chan receipt
	in   chan inboundSMS
	done chan struct{} // closed when matching stops

	mu sync.Mutex // held across Lookup-or-park, and by submitted
	// early holds receipts that came before their submit was recorded;
	// they have been acknowledged to the network already, once kept in
	// the store too (see parking.go).
	early     *earlyReceipts
	unmatched int
}

func newReceiptMatcher(g *Gateway) *receiptMatcher {
	return &receiptMatcher{g: g, ch: make(chan receipt, receiptQueue), in: make(chan inboundSMS, receiptQueue), done: make(chan struct{}),
		early: newEarlyReceipts(earlyMaxCount, earlyMaxBytes)}
}

func receiptKey(transportName, id string) string { return transportName + "\x00" + id }

// receipt is a delivery receipt and whom to tell once it is applied.
type receipt struct {
	r    transport.Receipt
	done func(error)
}

// HandleReceipt implements transport.Handler. It blocks when the queue is
// full: back-pressure on the transport rather than unbounded memory. A
// receipt is done once its part's final state is stored, or once it is
// kept in the store to wait for its submit to be recorded. One still queued when the
// gateway stops is never done, so the network sends it again.
func (m *receiptMatcher) HandleReceipt(r transport.Receipt, done func(error)) {
	select {
	case m.ch <- receipt{r, done}:
	case <-m.done:
		done(errStopping)
	}
}

// inboundSMS is an SMS from a phone and whom to tell once it is kept.
type inboundSMS struct {
	in   transport.Inbound
	done func(error)
}

// errStopping refuses a receipt or an SMS from a phone that arrives as the
// gateway stops: the network keeps it and sends it again.
var errStopping = errors.New("the gateway is stopping")

// HandleInbound implements transport.Handler: SMS from phones are handled
// one at a time, in the order they came. One still queued when the gateway
// stops is never acknowledged, so the network sends it again.
func (m *receiptMatcher) HandleInbound(in transport.Inbound, done func(error)) {
	select {
	case m.in <- inboundSMS{in, done}:
	case <-m.done:
		done(errStopping)
	}
}

// receiptWorkers match receipts side by side, so that their final states
// share the store's group commits instead of waiting for one fsync each.
const receiptWorkers = 16

// run matches receipts on receiptWorkers goroutines and handles SMS from
// phones on one, in the order they came, until ctx is done.
func (m *receiptMatcher) run(ctx context.Context) {
	defer close(m.done)
	var wg sync.WaitGroup
	for range receiptWorkers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case rc := <-m.ch:
					// While the store cannot write, receipts wait
					// here and the transport's queue fills: the
					// network holds them meanwhile.
					m.g.dispatch.storeFail.sleep(ctx)
					rc.done(m.match(ctx, rc.r))
				}
			}
		})
	}
	// Looking every waiting receipt up again may take a while (on a
	// shared store a miss asks the server): on a goroutine of its own,
	// so that SMS from phones do not wait for it.
	wg.Go(func() {
		tick := time.NewTicker(rematchEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				m.rematch(ctx)
			}
		}
	})
	defer wg.Wait()
	m.restore(ctx) // once workers take what it hands them
	sweep := time.NewTicker(time.Minute)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case mo := <-m.in:
			m.g.obs.Inbound(mo.in.Transport)
			mo.done(m.inbound(ctx, mo.in))
		case <-sweep.C:
			m.dropStale(ctx)
		}
	}
}

// rematch looks the waiting receipts up again and applies those whose
// submit is now recorded. On one gateway submitted hands them over as the
// submit is stored; with a store shared by several gateways the submit
// may be recorded by another one, which this one never hears of.
func (m *receiptMatcher) rematch(ctx context.Context) {
	m.mu.Lock()
	waiting := m.early.all()
	m.mu.Unlock()
	for _, r := range waiting {
		if _, ok, err := m.g.st.Lookup(r.Transport, r.MessageID); err != nil || !ok {
			continue // an error is logged when the receipt is matched or given up
		}
		m.mu.Lock()
		r, ok := m.early.take(receiptKey(r.Transport, r.MessageID))
		m.mu.Unlock()
		if !ok {
			continue // submitted took it meanwhile
		}
		select {
		case m.ch <- receipt{r, m.appliedLater(ctx, r)}:
		case <-ctx.Done():
			return // still parked in the store: restored at the next start
		}
	}
}

func (m *receiptMatcher) match(ctx context.Context, r transport.Receipt) error {
	m.mu.Lock()
	k, ok, err := m.g.st.Lookup(r.Transport, r.MessageID)
	var dropped []transport.Receipt
	at := m.g.now()
	if err == nil && !ok {
		dropped = m.early.park(receiptKey(r.Transport, r.MessageID), r, at)
	}
	m.mu.Unlock()
	if err != nil {
		m.g.log.Error("looking up receipt", "transport", r.Transport, "id", r.MessageID, "err", err)
		return fmt.Errorf("looking up receipt: %w", err)
	}
	if !ok {
		// Stored outside the lock: submitted, which takes it, runs on
		// the send path. Counted once it matches (when its submit is
		// recorded) or once it is given up.
		err := m.persist(ctx, r, at, dropped)
		m.unmatchedGone(dropped, "too many receipts wait for their submit; the oldest is dropped")
		return err
	}
	m.g.obs.Receipt(r.Transport, r.State, true)
	return m.apply(ctx, k, r)
}

// unmatchedGone counts and logs parked receipts given up: dropped for
// room (why says so) or waited too long.
func (m *receiptMatcher) unmatchedGone(rs []transport.Receipt, why string) {
	for _, r := range rs {
		m.g.obs.Receipt(r.Transport, r.State, false)
		if why != "" {
			m.g.obs.ReceiptDropped(r.Transport)
		}
	}
	if len(rs) == 0 {
		return
	}
	m.mu.Lock()
	m.unmatched += len(rs)
	total, parked := m.unmatched, m.early.len()
	m.mu.Unlock()
	if why == "" {
		why = "receipt matches no part"
	}
	last := rs[len(rs)-1]
	m.g.log.Warn(why, "transport", last.Transport, "id", last.MessageID, "state", last.State.String(),
		"receipts", len(rs), "unmatched_total", total, "parked", parked)
}

// submitted is called once a part's network id is stored: a receipt that
// came first can now be applied.
func (m *receiptMatcher) submitted(ctx context.Context, transportName, id string) {
	m.mu.Lock()
	r, ok := m.early.take(receiptKey(transportName, id))
	m.mu.Unlock()
	if ok {
		m.HandleReceipt(r, m.appliedLater(ctx, r))
	}
}

func (m *receiptMatcher) dropStale(ctx context.Context) {
	m.mu.Lock()
	old := m.early.stale(m.g.now().Add(-earlyTTL))
	m.mu.Unlock()
	m.forget(ctx, old)
	m.unmatchedGone(old, "")
}

func (m *receiptMatcher) apply(ctx context.Context, k store.PartKey, r transport.Receipt) error {
	if !r.State.Final() {
		m.g.log.Debug("intermediate receipt", "part", k.String(), "state", r.State.String())
		return nil
	}
	state, reason := partOutcome(r)
	m.g.log.Info("receipt", "part", k.String(), "transport", r.Transport, "id", r.MessageID, "state", r.State.String(), "err", r.ErrorCode)
	done, err := m.g.st.FinishReceipt(context.WithoutCancel(ctx), k, state, r.State.String(), reason, m.g.now())
	return m.g.dispatch.finished(k, state, done, err)
}

// partOutcome maps a final receipt to the part's final state and the reason
// shown in a report.
func partOutcome(r transport.Receipt) (store.PartState, string) {
	status := "stat:" + r.State.String()
	if r.ErrorCode != "" {
		status += " err:" + r.ErrorCode
	}
	switch r.State {
	case transport.StateDelivered:
		return store.PartDelivered, status
	case transport.StateExpired:
		return store.PartExpired, fmt.Sprintf("the network could not reach the phone before the message expired (%s)", status)
	case transport.StateDeleted:
		return store.PartFailed, fmt.Sprintf("the network deleted the message (%s)", status)
	case transport.StateRejected:
		return store.PartFailed, fmt.Sprintf("the network rejected the message (%s)", status)
	}
	return store.PartFailed, fmt.Sprintf("the network could not deliver the message (%s)", status)
}
