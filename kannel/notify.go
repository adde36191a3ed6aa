package kannel

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport"
)

// How the Notifier works the queue. Reports are found by looking at every
// watched message: on a kick (a part changed), at most every followGap, and
// at least every followInterval; a round costs a read of each watched
// message. A dlr-url that does not answer 2xx is called again
// after retryBase, doubling up to retryMax, for at most GiveUpAfter.
const (
	followInterval  = 5 * time.Second
	followGap       = 200 * time.Millisecond
	followBatch     = 256
	callBatch       = 64
	callWorkers     = 8
	callTimeout     = 30 * time.Second
	retryBase       = 5 * time.Second
	retryMax        = 10 * time.Minute
	storeRetry      = 5 * time.Second
	DefaultGiveUp   = 48 * time.Hour
	maxErrorSnippet = 200
)

// Store is what the Notifier needs of the store (*store.DB).
type Store interface {
	Watches(owner, after string, limit int) ([]store.Watch, error)
	Message(id string) (*store.Message, error)
	Tell(ctx context.Context, msg string, told []uint8, done bool, calls []store.Callback) error
	DueCallbacks(owner string, now time.Time, limit int) ([]store.Callback, error)
	NextCallback(owner string) (time.Time, bool, error)
	CallbackDone(ctx context.Context, id string) error
	CallbackRetry(ctx context.Context, id string, next time.Time, reason string) error
}

// Notifier calls dlr-urls back. Each report is queued in the store, in the
// same commit that records it as told, before any call: a crash neither
// loses a report nor queues it twice; a call may be repeated if the crash
// comes between the client's answer and its removal (Kannel's clients see
// repeats too).
type Notifier struct {
	st     Store
	client *http.Client
	log    *slog.Logger
	giveUp time.Duration
	follow chan struct{}
	call   chan struct{}
	now    func() time.Time
	// retryBase is the first wait after a failed call (retryBase; tests
	// shorten it).
	retryBase time.Duration
}

// NewNotifier returns a Notifier on st; client nil means a client with
// callTimeout, giveUp 0 means DefaultGiveUp.
func NewNotifier(st Store, client *http.Client, giveUp time.Duration, log *slog.Logger) *Notifier {
	if client == nil {
		client = &http.Client{Timeout: callTimeout}
	}
	if giveUp <= 0 {
		giveUp = DefaultGiveUp
	}
	if log == nil {
		log = slog.Default()
	}
	return &Notifier{st: st, client: client, log: log.With("component", "kannel-dlr"), giveUp: giveUp,
		follow: make(chan struct{}, 1), call: make(chan struct{}, 1), now: time.Now, retryBase: retryBase}
}

// Kick tells the Notifier a part has changed: there may be reports.
func (n *Notifier) Kick() {
	select {
	case n.follow <- struct{}{}:
	default:
	}
}

func (n *Notifier) kickCalls() {
	select {
	case n.call <- struct{}{}:
	default:
	}
}

// Run follows the watched messages and makes the calls until ctx is done.
func (n *Notifier) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { loop(ctx, n.follow, followGap, n.followRounds) })
	wg.Go(func() { loop(ctx, n.call, 0, n.callRounds) })
	wg.Wait()
}

// loop runs round at once, then on every kick or when the wait it returned
// has passed, until ctx is done; kicks are taken at most every gap.
func loop(ctx context.Context, kick <-chan struct{}, gap time.Duration, round func(context.Context) time.Duration) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
		case <-timer.C:
		}
		timer.Reset(round(ctx))
		if gap > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(gap):
			}
		}
	}
}

func (n *Notifier) followRounds(ctx context.Context) time.Duration {
	if err := n.followRound(ctx); err != nil && ctx.Err() == nil {
		n.log.Error("looking for delivery reports failed; will retry", "in", storeRetry.String(), "err", err)
		return storeRetry
	}
	return followInterval
}

// followRound queues the reports every watched message has earned since
// it was last looked at.
func (n *Notifier) followRound(ctx context.Context) error {
	after := ""
	for ctx.Err() == nil {
		ws, err := n.st.Watches(watchOwner, after, followBatch)
		if err != nil || len(ws) == 0 {
			return err
		}
		for _, w := range ws {
			if err := n.followOne(ctx, w); err != nil {
				return err
			}
			after = w.Msg
		}
		if len(ws) < followBatch {
			return nil
		}
	}
	return ctx.Err()
}

func (n *Notifier) followOne(ctx context.Context, w store.Watch) error {
	m, err := n.st.Message(w.Msg)
	if errors.Is(err, store.ErrNotFound) {
		// Purged before its last report was found: nothing left to tell.
		return n.st.Tell(ctx, w.Msg, nil, true, nil)
	}
	if err != nil {
		return err
	}
	f, err := decodeFollow(w.Data)
	if err != nil {
		n.log.Error("unreadable dlr watch dropped", "msg_id", w.Msg, "err", err)
		return n.st.Tell(ctx, w.Msg, nil, true, nil)
	}
	told := make([]uint8, len(m.Recipients))
	copy(told, w.Told)
	changed, done := false, true
	var calls []store.Callback
	for i, rc := range m.Recipients {
		if told[i]&toldFinal != 0 {
			continue
		}
		reps, final := reached(rc.Parts)
		for _, rep := range reps {
			bit := uint8(rep.Value)
			if told[i]&bit != 0 {
				continue
			}
			told[i] |= bit
			changed = true
			if f.Mask&rep.Value == 0 {
				continue
			}
			rep.Number, rep.ID = rc.Number, m.ID
			calls = append(calls, store.Callback{ID: callID(m.ID, i, rep.Value), Owner: watchOwner, Data: []byte(expand(f, rep)), Created: n.now()})
		}
		if final {
			told[i] |= toldFinal
			changed = true
		} else {
			done = false
		}
	}
	if !changed {
		return nil
	}
	if err := n.st.Tell(context.WithoutCancel(ctx), w.Msg, told, done, calls); err != nil {
		return err
	}
	if len(calls) > 0 {
		n.log.Debug("delivery reports queued", "msg_id", m.ID, "reports", len(calls))
		n.kickCalls()
	}
	return nil
}

func (n *Notifier) callRounds(ctx context.Context) time.Duration {
	if err := n.callRound(ctx); err != nil && ctx.Err() == nil {
		n.log.Error("calling dlr-urls failed; will retry", "in", storeRetry.String(), "err", err)
		return storeRetry
	}
	return n.untilNext()
}

// untilNext is how long until the next callback is due, at most
// followInterval (a kick comes sooner for new ones).
func (n *Notifier) untilNext() time.Duration {
	t, ok, err := n.st.NextCallback(watchOwner)
	if err != nil || !ok {
		return followInterval
	}
	return min(max(t.Sub(n.now()), 0), followInterval)
}

// callRound makes every due call, callWorkers at a time.
func (n *Notifier) callRound(ctx context.Context) error {
	for ctx.Err() == nil {
		due, err := n.st.DueCallbacks(watchOwner, n.now(), callBatch)
		if err != nil || len(due) == 0 {
			return err
		}
		// One receiver's calls go to one worker, so they are made in order.
		var jobs [callWorkers][]store.Callback
		for _, c := range due {
			w := crc32.ChecksumIEEE([]byte(receiverOf(c.ID))) % callWorkers
			jobs[w] = append(jobs[w], c)
		}
		errs := make(chan error, len(due))
		var wg sync.WaitGroup
		for _, list := range jobs {
			wg.Go(func() {
				for _, c := range list {
					errs <- n.callOne(ctx, c)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				return err
			}
		}
		if len(due) < callBatch {
			return nil
		}
	}
	return ctx.Err()
}

// callID names the report of value for recipient rcpt of msg: unique, as
// each value is told once, and sorting in Kannel's order of reports
// (buffered, then accepted by the network, then final).
func callID(msg string, rcpt, value int) string {
	rank := 2
	switch value {
	case dlrBuffered:
		rank = 0
	case dlrSMSCAccepted:
		rank = 1
	}
	return fmt.Sprintf("%s.%05d.%d%02d", msg, rcpt, rank, value)
}

// receiverOf is the message and recipient part of a callID.
func receiverOf(id string) string {
	if i := strings.LastIndexByte(id, '.'); i >= 0 {
		return id[:i]
	}
	return id
}

// callOne calls one dlr-url; only a store error is returned.
func (n *Notifier) callOne(ctx context.Context, c store.Callback) error {
	target := string(c.Data)
	err := n.get(ctx, target)
	if ctx.Err() != nil {
		return nil // shutting down: the call stays queued
	}
	sctx := context.WithoutCancel(ctx)
	if err == nil {
		return n.st.CallbackDone(sctx, c.ID)
	}
	if n.now().Sub(c.Created) >= n.giveUp {
		n.log.Warn("dlr-url given up on", "url", target, "attempts", c.Attempts+1, "err", err)
		return n.st.CallbackDone(sctx, c.ID)
	}
	wait := min(n.retryBase<<min(c.Attempts, 16), retryMax)
	n.log.Info("dlr-url call failed; will retry", "url", target, "in", wait.String(), "err", err)
	return n.st.CallbackRetry(sctx, c.ID, n.now().Add(wait), err.Error())
}

func (n *Notifier) get(ctx context.Context, target string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	resp, err := n.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorSnippet))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %q", resp.Status, body)
	}
	return nil
}

// Observe returns next (not nil), also kicking n and each of also
// whenever a part changes state.
func (n *Notifier) Observe(next bridge.Observer, also ...func()) bridge.Observer {
	kicks := append([]func(){n.Kick}, also...)
	return kickingObserver{Observer: next, kick: func() {
		for _, k := range kicks {
			k()
		}
	}}
}

type kickingObserver struct {
	bridge.Observer
	kick func()
}

func (o kickingObserver) PartSubmitted(t string, c priority.Class, took, waited time.Duration) {
	o.Observer.PartSubmitted(t, c, took, waited)
	o.kick()
}

func (o kickingObserver) SubmitFailed(t string, temporary bool) {
	o.Observer.SubmitFailed(t, temporary)
	o.kick()
}

func (o kickingObserver) PartFinal(s store.PartState) {
	o.Observer.PartFinal(s)
	o.kick()
}

func (o kickingObserver) Receipt(t string, s transport.ReceiptState, matched bool) {
	o.Observer.Receipt(t, s, matched)
	o.kick()
}
