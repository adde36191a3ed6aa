package bridge

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"

	retrydelay "github.com/smsbridge/smsbridge/internal/backoff"
	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport"
)

const (
	leaseBatch       = 512                    // parts read from the store per round, at most
	idleRecheck      = 200 * time.Millisecond // how often to look again while a transport is down or full
	sendTimeout      = time.Minute            // one submit, including waiting for a bind
	retryFloor       = 2 * time.Second        // first retry delay
	retryCeiling     = 10 * time.Minute       // retry delays never exceed this
	overdueGrace     = time.Hour              // a submitted part gets this long past validity for its receipt
	sweepInterval    = time.Minute
	defaultRetention = 7 * 24 * time.Hour
	setAsideFor      = 5 * time.Second // how far back parts of a dead route move
)

// up is implemented by transports that can tell whether they can send now.
type up interface{ Up() bool }

// lane is one transport with its own window and rate.
type lane struct {
	t       transport.Transport
	name    string
	limiter *rate.Limiter
	slots   int
	jobs    chan store.DuePart
	// sendTimeout bounds one Send: waiting for a bind, and for the
	// answer to a submit in doubt up to the transport's in-doubt limit.
	sendTimeout       time.Duration
	maxInDoubtResends int

	mu       sync.Mutex
	inflight int

	downSince time.Time // when it was first seen down, zero while up; under mu
}

func newLane(l Lane) *lane {
	slots := max(l.Slots, 1)
	ln := &lane{t: l.Transport, name: l.Transport.Name(), slots: slots, jobs: make(chan store.DuePart, slots),
		sendTimeout: sendTimeout + l.InDoubtLimit, maxInDoubtResends: max(l.MaxInDoubtResends, 0)}
	if l.Rate > 0 {
		ln.limiter = rate.NewLimiter(rate.Limit(l.Rate), max(1, int(l.Rate/10)))
	}
	return ln
}

func (l *lane) isUp() bool {
	u, ok := l.t.(up)
	return !ok || u.Up()
}

// reserve claims up to n free slots and returns how many it got.
func (l *lane) reserve(n int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n = min(n, l.slots-l.inflight)
	l.inflight += n
	return n
}

func (l *lane) release(n int) {
	l.mu.Lock()
	l.inflight -= n
	l.mu.Unlock()
}

func (l *lane) free() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.slots - l.inflight
}

// dispatcher leases due parts from the store and hands them to lane workers.
// It is the one scheduling loop: a kick channel, a timer to the next due part.
type dispatcher struct {
	g       *Gateway
	kicker  // wakes run: there may be work
	workers sync.WaitGroup
	// storeFail holds off leasing while store writes fail; receipts,
	// which finish parts through the dispatcher, wait on it too.
	storeFail storeBackoff

	avoidMu   sync.Mutex
	avoiding  map[store.RcptKey]avoidance // see cannotFollow
	moveAfter time.Duration               // see routeMessage; a field so tests can shorten it

	shares shares // touched only by run's goroutine
}

func newDispatcher(g *Gateway) *dispatcher {
	return &dispatcher{g: g, kicker: newKicker(), moveAfter: moveAfter}
}

func (d *dispatcher) run(ctx context.Context, drain time.Duration) {
	sendCtx, cancelSends := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelSends()
	for _, name := range d.g.order {
		l := d.g.lanes[name]
		for range l.slots {
			d.workers.Add(1)
			go d.worker(sendCtx, l)
		}
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	sweep := time.NewTicker(sweepInterval)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			d.stop(drain, cancelSends)
			return
		case <-d.kicker:
		case <-timer.C:
		case <-sweep.C:
			d.expireOverdue(ctx)
			d.purge(ctx)
		}
		wait := d.fill(ctx)
		timer.Reset(wait)
	}
}

// stop lets workers finish what they hold, up to drain, then cancels sends.
func (d *dispatcher) stop(drain time.Duration, cancelSends context.CancelFunc) {
	for _, name := range d.g.order {
		close(d.g.lanes[name].jobs)
	}
	done := make(chan struct{})
	go func() { d.workers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(drain):
		d.g.log.Warn("drain deadline passed; cancelling submits still in flight (they will be resent)")
		cancelSends()
		<-done
	}
}

// fill leases as many due parts as the lanes have room for and returns how
// long to sleep before looking again.
func (d *dispatcher) fill(ctx context.Context) time.Duration {
	g := d.g
	if wait := d.storeFail.wait(); wait > 0 {
		return wait
	}
	room := 0
	for _, name := range g.order {
		if l := g.lanes[name]; l.isUp() {
			room += l.free()
		}
	}
	if room == 0 {
		return idleRecheck
	}
	now := g.now()
	due, err := g.st.Due(now, min(room, leaseBatch))
	if err != nil {
		g.log.Error("reading due parts", "err", err)
		return idleRecheck
	}
	due = d.shares.plan(due, min(room, leaseBatch), g.conf().Priority.Shares, func(c priority.Class, n int) ([]store.DuePart, error) {
		return g.st.DueIn(c, now, n)
	})
	leased, blocked := d.lease(ctx, due, now)
	switch {
	case leased > 0 && len(due) == min(room, leaseBatch):
		return 0 // there may be more
	case blocked:
		return idleRecheck
	}
	next, ok, err := g.st.NextDue()
	if err != nil || !ok {
		return sweepInterval
	}
	return max(next.Sub(g.now()), 0)
}

// lease routes each due part to a lane with room, records the attempt and
// hands the part over. blocked is true when some part had to wait for a lane.
func (d *dispatcher) lease(ctx context.Context, due []store.DuePart, now time.Time) (leased int, blocked bool) {
	byLane := map[*lane][]store.DuePart{}
	var stranded []store.DuePart // every transport of their route is down

	chosen := map[store.RcptKey]*lane{} // the lane of each concatenated message in this lease
	for _, dp := range due {
		if !dp.Expires.IsZero() && now.After(dp.Expires) {
			d.finish(ctx, dp.Key, store.PartExpired, "validity period ended before it could be sent")
			continue
		}
		if d.campaignHold(ctx, dp, now) {
			continue
		}
		l, down, err := d.routeMessage(ctx, dp, chosen, now)
		if err != nil {
			d.finish(ctx, dp.Key, store.PartFailed, err.Error())
			continue
		}
		if down {
			stranded = append(stranded, dp)
		}
		if l == nil || l.reserve(1) == 0 {
			blocked = true
			continue
		}
		byLane[l] = append(byLane[l], dp)
	}
	for l, parts := range byLane {
		leased += d.begin(ctx, l, parts, now)
	}
	if len(stranded) > 0 && len(stranded) == len(due) {
		d.setAside(ctx, stranded, now)
	}
	return leased, blocked
}

// setAside moves parts whose transports are all down a little later in the
// queue, attempts uncounted, when they fill a whole lease while another
// transport has room: otherwise they would stand at the head of the queue
// and starve the parts of routes that work. With one transport there is no
// room while it is down, so nothing is set aside and the queue flows the
// moment it is back.
func (d *dispatcher) setAside(ctx context.Context, parts []store.DuePart, now time.Time) {
	next := now.Add(setAsideFor)
	var wg sync.WaitGroup
	for _, dp := range parts {
		wg.Go(func() { // one group commit for all of them
			if err := d.g.st.Retry(context.WithoutCancel(ctx), dp.Key, next, "no transport of its route is up", now); err != nil {
				d.g.log.Error("setting aside a part whose transports are down", "part", dp.Key.String(), "err", err)
				d.storeFail.failed(err)
			}
		})
	}
	wg.Wait()
}

// begin records the attempt for parts (one commit) before they are sent.
func (d *dispatcher) begin(ctx context.Context, l *lane, parts []store.DuePart, now time.Time) int {
	keys := make([]store.PartKey, len(parts))
	for i, p := range parts {
		keys[i] = p.Key
	}
	skipped, err := d.g.st.Begin(context.WithoutCancel(ctx), keys, l.name, now)
	if err != nil {
		d.g.log.Error("recording attempts", "transport", l.name, "hold_off", d.storeFail.failed(err).String(), "err", err)
		l.release(len(parts))
		return 0
	}
	d.storeFail.ok()
	skip := make(map[store.PartKey]bool, len(skipped))
	for _, k := range skipped {
		skip[k] = true
	}
	n := 0
	for _, p := range parts {
		if skip[p.Key] {
			l.release(1)
			continue
		}
		p.Part.Attempts++
		d.shares.leased(p.Class, d.g.conf().Priority.Shares)
		l.jobs <- p // never blocks: a slot was reserved
		n++
	}
	return n
}

var errNoRoute = errors.New("no route for this number")

// route picks the first lane of the number's route, other than those in
// skip, that is up and has room: nil when there is none, with down true
// when every one is down.
func (d *dispatcher) route(number string, skip ...string) (l *lane, down bool, err error) {
	g := d.g
	names := g.order
	if routes := g.conf().Routes; len(routes) > 0 {
		r, ok := routes.Match(number)
		if !ok {
			return nil, false, errNoRoute
		}
		names = r.Transports
	}
	down = true
	for _, name := range names {
		l := g.lanes[name]
		if slices.Contains(skip, name) || !l.isUp() {
			continue
		}
		down = false
		if l.free() > 0 {
			return l, false, nil
		}
	}
	return nil, down, nil
}

func (d *dispatcher) worker(ctx context.Context, l *lane) {
	defer d.workers.Done()
	for dp := range l.jobs {
		d.send(ctx, l, dp)
		l.release(1)
		d.kick()
	}
}

func (d *dispatcher) send(ctx context.Context, l *lane, dp store.DuePart) {
	g := d.g
	defer func() {
		if r := recover(); r != nil {
			g.log.Error("panic while sending; part will be retried", "part", dp.Key.String(), "transport", l.name, "panic", r)
			d.retry(ctx, dp, "internal error", g.now())
		}
	}()
	if l.limiter != nil {
		if err := l.limiter.Wait(ctx); err != nil {
			d.retry(ctx, dp, "stopping", g.now())
			return
		}
	}
	if d.resendsExhausted(ctx, l, dp) {
		return
	}
	p := d.transportPart(dp)
	p.After = d.after(l, dp)
	sctx, cancel := context.WithTimeout(ctx, l.sendTimeout)
	start := time.Now()
	id, err := l.t.Send(sctx, p)
	cancel()
	now := g.now()
	if err != nil {
		g.obs.SubmitFailed(l.name, !transport.IsPermanent(err))
	}
	switch {
	case err == nil:
		g.obs.PartSubmitted(l.name, dp.Class, time.Since(start), now.Sub(dp.Received))
		err := d.recordOutcome(ctx, "recording submission", dp.Key, func(c context.Context) error { return g.st.Submitted(c, dp.Key, id, now) })
		if err != nil {
			g.log.Error("recording submission; the part will be resent after a restart", "part", dp.Key.String(), "transport", l.name, "id", id, "err", err)
			return
		}
		g.log.Debug("submitted", "part", dp.Key.String(), "transport", l.name, "id", id)
		g.receipts.submitted(ctx, l.name, id)
	case transport.IsPermanent(err):
		g.log.Warn("part failed", "part", dp.Key.String(), "transport", l.name, "err", err)
		d.finish(ctx, dp.Key, store.PartFailed, err.Error())
	case transport.IsInDoubt(err):
		d.inDoubt(ctx, l, dp, err, now)
	case transport.CannotFollow(err):
		d.cannotFollow(ctx, l, dp, err, now)
	default:
		g.log.Info("submit failed, will retry", "part", dp.Key.String(), "transport", l.name, "attempt", dp.Part.Attempts, "err", err)
		d.retry(ctx, dp, err.Error(), now)
	}
}

func (d *dispatcher) transportPart(dp store.DuePart) *transport.Part {
	p := &dp.Part
	tp := &transport.Part{
		Key: dp.Key.String(), To: dp.Number, Encoding: p.Encoding, Text: p.Text, Payload: p.Payload,
		Ref: p.Ref, Seq: p.Seq, Total: p.Total, Receipt: true, Expires: dp.Expires,
	}
	if len(d.g.conf().Routes) > 0 {
		if r, ok := d.g.conf().Routes.Match(dp.Number); ok {
			tp.Source = r.Source
		}
	}
	if dp.Source != "" {
		tp.Source = dp.Source
	}
	return tp
}

// retry puts the part back with capped exponential backoff and jitter, or
// expires it when the next attempt would fall past its validity.
func (d *dispatcher) retry(ctx context.Context, dp store.DuePart, reason string, now time.Time) {
	next := now.Add(backoff(dp.Part.Attempts, d.g.conf().RetryFloor, d.g.conf().RetryCeiling))
	if !dp.Expires.IsZero() && next.After(dp.Expires) {
		d.finish(ctx, dp.Key, store.PartExpired, "validity period ended; last error: "+reason)
		return
	}
	err := d.recordOutcome(ctx, "scheduling retry", dp.Key, func(c context.Context) error { return d.g.st.Retry(c, dp.Key, next, reason, now) })
	if err != nil {
		d.g.log.Error("scheduling retry; the part will be resent after a restart", "part", dp.Key.String(), "err", err)
	}
}

// recordOutcome writes what became of a part begun (write) until the
// store takes it or ctx ends, holding off between tries as for any failed
// write. A part whose outcome is not recorded stays submitting, and only
// a restart's Recover sends it again: on a store shared by gateways, no
// other gateway takes over a part of one that lives. A change the store
// refuses is not tried again.
func (d *dispatcher) recordOutcome(ctx context.Context, what string, k store.PartKey, write func(context.Context) error) error {
	for {
		err := write(context.WithoutCancel(ctx))
		if err == nil {
			d.storeFail.ok()
			return nil
		}
		wait := d.storeFail.failed(err)
		if wait == 0 {
			return err
		}
		d.g.log.Warn(what+" failed; trying again", "part", k.String(), "in", wait.String(), "err", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
	}
}

// backoff is the delay before attempt n+1: doubling from floor, capped at
// ceiling, with ±20% jitter so retries from a burst spread out.
func backoff(attempts int, floor, ceiling time.Duration) time.Duration {
	if floor <= 0 {
		floor = retryFloor
	}
	if ceiling <= 0 {
		ceiling = retryCeiling
	}
	return retrydelay.Policy{Floor: floor, Ceiling: ceiling, Jitter: 0.2}.Delay(attempts)
}

func (d *dispatcher) finish(ctx context.Context, k store.PartKey, state store.PartState, reason string) error {
	var done bool
	err := d.recordOutcome(ctx, "recording final state", k, func(c context.Context) (err error) {
		done, err = d.g.st.Finish(c, k, state, reason, d.g.now())
		return err
	})
	return d.finished(k, state, done, err)
}

// finished follows up a part's final state as the store recorded it (or
// failed to): done is true when it made its recipient final.
func (d *dispatcher) finished(k store.PartKey, state store.PartState, done bool, err error) error {
	if err != nil {
		d.g.log.Error("recording final state", "part", k.String(), "state", state.String(), "hold_off", d.storeFail.failed(err).String(), "err", err)
		return fmt.Errorf("recording final state: %w", err)
	}
	d.storeFail.ok()
	d.g.obs.PartFinal(state)
	if done {
		d.g.reports.kick()
	}
	return nil
}

// expireOverdue ends parts whose receipt never came within validity plus grace.
func (d *dispatcher) expireOverdue(ctx context.Context) {
	keys, err := d.g.st.Overdue(d.g.now().Add(-overdueGrace), leaseBatch)
	if err != nil {
		d.g.log.Error("reading overdue parts", "err", err)
		return
	}
	for _, k := range keys {
		d.finish(ctx, k, store.PartExpired, "no delivery receipt before the validity period ended")
	}
}

// purge deletes messages that are final and reported, once they are older
// than the retention, so the queue file does not grow without bound.
func (d *dispatcher) purge(ctx context.Context) {
	keep := d.g.conf().Retention
	if keep <= 0 {
		keep = defaultRetention
	}
	n, err := d.g.st.Purge(ctx, d.g.now().Add(-keep))
	if err != nil {
		d.g.log.Error("purging finished messages", "err", err)
	} else if n > 0 {
		d.g.log.Info("purged finished messages", "count", n)
	}
}
