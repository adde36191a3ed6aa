package bridge

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

// moveAfter is how long the transport that carried some parts of a
// concatenated SMS must have been down before the whole message is sent
// again through another: a rebind or a modem's reopen takes seconds, and
// moving costs the parts already sent.
const moveAfter = 30 * time.Second

// downFor returns how long the lane has been seen down, 0 while it is up.
func (l *lane) downFor(now time.Time) time.Duration {
	up := l.isUp()
	l.mu.Lock()
	defer l.mu.Unlock()
	if up {
		l.downSince = time.Time{}
		return 0
	}
	if l.downSince.IsZero() {
		l.downSince = now
	}
	return now.Sub(l.downSince)
}

// routeMessage picks the lane for dp. The parts of one concatenated SMS to
// one number all leave through one transport, whatever room the others
// have: through the lane chosen for a sibling in this lease (chosen), else
// the one its siblings went out through. Only when that one has been down
// for moveAfter does the whole message move to another lane of its route,
// the parts already sent being sent again.
func (d *dispatcher) routeMessage(ctx context.Context, dp store.DuePart, chosen map[store.RcptKey]*lane, now time.Time) (l *lane, down bool, err error) {
	if dp.Part.Total <= 1 {
		return d.route(dp.Number)
	}
	rk := store.RcptKey{Msg: dp.Key.Msg, Rcpt: dp.Key.Rcpt}
	if l, ok := chosen[rk]; ok {
		return l, false, nil
	}
	via, err := d.g.st.Via(rk)
	if err != nil {
		d.g.log.Error("reading how a message's parts went out; it waits", "part", dp.Key.String(), "err", err)
		return nil, false, nil
	}
	sticky := d.g.lanes[via.Transport]
	if via.Transport == "" || sticky == nil { // none went out yet, or that transport is gone
		if avoid := d.avoided(rk, now); avoid != "" {
			l, down, err = d.route(dp.Number, avoid)
		}
		if l == nil && err == nil {
			l, down, err = d.route(dp.Number)
		}
	} else {
		switch downFor := sticky.downFor(now); {
		case downFor == 0:
			l = sticky // reserve fails while it is full: the part waits
		case downFor < d.moveAfter || via.InFlight > 0:
			return nil, false, nil // the part waits for it
		default:
			l, down, err = d.route(dp.Number, sticky.name)
			if l != nil {
				d.resendWhole(ctx, rk, dp, fmt.Sprintf("sent again through %s with the rest of its message: %s was down for %s",
					l.name, sticky.name, downFor.Round(time.Second)), now)
			}
		}
	}
	if l != nil {
		chosen[rk] = l
	}
	return l, down, err
}

// resendWhole puts the parts of rk that went out back in the queue so the
// whole message leaves one way.
func (d *dispatcher) resendWhole(ctx context.Context, rk store.RcptKey, dp store.DuePart, reason string, now time.Time) {
	n, err := d.g.st.RequeueRecipient(context.WithoutCancel(ctx), rk, reason, now)
	if err != nil {
		d.g.log.Error("sending a message again as a whole", "part", dp.Key.String(), "err", err)
		return
	}
	d.g.log.Warn("message sent again as a whole so the phone can put it together", "part", dp.Key.String(), "parts_sent_again", n, "reason", reason)
	d.kick()
}

// after is the id one of dp's siblings got from lane l, so that a
// transport with several senders sends dp through the same one.
func (d *dispatcher) after(l *lane, dp store.DuePart) string {
	if dp.Part.Total <= 1 {
		return ""
	}
	via, err := d.g.st.Via(store.RcptKey{Msg: dp.Key.Msg, Rcpt: dp.Key.Rcpt})
	if err != nil || via.Transport != l.name {
		return ""
	}
	return via.ID
}

// cannotFollow handles a part its transport could not send the way its
// siblings went, or could not send with the rest of its message (their SIM
// reached its limit): the whole message is queued again, to go out one
// way, through another lane of its route if one has room (see avoided).
func (d *dispatcher) cannotFollow(ctx context.Context, l *lane, dp store.DuePart, err error, now time.Time) {
	rk := store.RcptKey{Msg: dp.Key.Msg, Rcpt: dp.Key.Rcpt}
	d.avoid(rk, l.name, now)
	d.resendWhole(ctx, rk, dp, fmt.Sprintf("sent again with the rest of its message: %s: %v", l.name, err), now)
	d.retry(ctx, dp, err.Error(), now)
}

// avoidFor is how long a message a lane could not send as a whole prefers
// the other lanes of its route.
const avoidFor = 10 * time.Minute

// avoid records that lane could not send rk's message as a whole.
func (d *dispatcher) avoid(rk store.RcptKey, lane string, now time.Time) {
	d.avoidMu.Lock()
	defer d.avoidMu.Unlock()
	if d.avoiding == nil {
		d.avoiding = map[store.RcptKey]avoidance{}
	}
	for k, a := range d.avoiding {
		if now.After(a.until) {
			delete(d.avoiding, k)
		}
	}
	d.avoiding[rk] = avoidance{lane: lane, until: now.Add(avoidFor)}
}

// avoided returns the lane rk's message should not go through, if any.
func (d *dispatcher) avoided(rk store.RcptKey, now time.Time) string {
	d.avoidMu.Lock()
	defer d.avoidMu.Unlock()
	if a, ok := d.avoiding[rk]; ok && now.Before(a.until) {
		return a.lane
	}
	return ""
}

// avoidance is a lane a message should not go through until a time.
type avoidance struct {
	lane  string
	until time.Time
}

// movedNotes are the report's lines on a message sent again as a whole.
func movedNotes(rc *store.Recipient) []string {
	var from []string
	for _, p := range rc.Parts {
		if p.MovedFrom != "" && !slices.Contains(from, p.MovedFrom) {
			from = append(from, p.MovedFrom)
		}
	}
	if len(from) == 0 {
		return nil
	}
	via := rc.Parts[len(rc.Parts)-1].Transport
	return []string{fmt.Sprintf("Its parts could not all go out through %s, so the whole message was sent again through %s; the phone may also show the parts sent first.",
		strings.Join(from, " and "), via)}
}
