package bridge

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport"
)

// InDoubtObserver is implemented by Observers that also count what
// happens to submits in doubt (metrics does); it is optional so that
// existing Observers keep working.
type InDoubtObserver interface {
	// SubmitInDoubt: a submit got no answer within the transport's response time.
	SubmitInDoubt(transport string)
	// InDoubtResend: a part is sent again after a send in doubt.
	InDoubtResend(transport string)
	// DuplicateDetected: two sends of one part were both accepted.
	DuplicateDetected(transport string)
}

func (g *Gateway) inDoubtObs() InDoubtObserver {
	if o, ok := g.obs.(InDoubtObserver); ok {
		return o
	}
	return nil
}

var _ transport.SubmitHandler = (*receiptMatcher)(nil)

// SubmitInDoubt implements transport.SubmitHandler.
func (m *receiptMatcher) SubmitInDoubt(transportName, _ string) {
	if o := m.g.inDoubtObs(); o != nil {
		o.SubmitInDoubt(transportName)
	}
}

// LateSubmit implements transport.SubmitHandler: the network accepted a
// send of a part after its Send had given up. The id is recorded so its
// receipts match; a part waiting to be sent again counts as submitted
// instead, and one sent again meanwhile is a duplicate, counted and told
// in its report.
func (m *receiptMatcher) LateSubmit(transportName, key, id string, done func(error)) {
	g := m.g
	k, err := parsePartKey(key)
	if err != nil {
		g.log.Error("late submit answer for a part the gateway cannot name", "transport", transportName, "part", key, "id", id, "err", err)
		done(nil) // nothing to record it under; telling the transport again would not mend it
		return
	}
	out, err := g.st.LateID(context.Background(), k, transportName, id, g.now())
	if err != nil {
		g.log.Error("recording a late submit answer", "part", key, "transport", transportName, "id", id, "err", err)
		done(err)
		return
	}
	switch out {
	case store.LateSubmitted:
		g.log.Info("late submit answer: the part is submitted and not sent again", "part", key, "transport", transportName, "id", id)
	case store.LateDuplicate:
		g.log.Warn("late submit answer for a part sent again: the phone may receive it twice", "part", key, "transport", transportName, "id", id)
		if o := g.inDoubtObs(); o != nil {
			o.DuplicateDetected(transportName)
		}
	case store.LateKept:
		g.log.Info("late submit answer for a part already final; its id is kept", "part", key, "transport", transportName, "id", id)
	}
	done(nil)
	m.submitted(context.Background(), transportName, id) // a receipt may have come first
}

// parsePartKey reads what store.PartKey.String writes: msg/rcpt/part.
func parsePartKey(s string) (store.PartKey, error) {
	j := strings.LastIndexByte(s, '/')
	i := -1
	if j > 0 {
		i = strings.LastIndexByte(s[:j], '/')
	}
	if i <= 0 {
		return store.PartKey{}, fmt.Errorf("part key %q: want message/recipient/part", s)
	}
	rcpt, err1 := strconv.Atoi(s[i+1 : j])
	part, err2 := strconv.Atoi(s[j+1:])
	if err1 != nil || err2 != nil || rcpt < 0 || part < 0 {
		return store.PartKey{}, fmt.Errorf("part key %q: want message/recipient/part", s)
	}
	return store.PartKey{Msg: s[:i], Rcpt: rcpt, Part: part}, nil
}

// inDoubt handles a send whose outcome is unknown: the part is sent again
// (after the usual backoff) while its sends in doubt stay within the
// lane's max_in_doubt_resends; otherwise it fails with a reason saying the
// phone may have it.
func (d *dispatcher) inDoubt(ctx context.Context, l *lane, dp store.DuePart, err error, now time.Time) {
	g := d.g
	sends := dp.Part.InDoubt + 1
	if sends > l.maxInDoubtResends {
		g.log.Warn("submit in doubt and not sent again: the network may have it", "part", dp.Key.String(), "transport", l.name,
			"sends_in_doubt", sends, "max_in_doubt_resends", l.maxInDoubtResends, "err", err)
		d.finish(ctx, dp.Key, store.PartFailed, inDoubtReason(sends, l.maxInDoubtResends, err.Error()))
		return
	}
	g.log.Warn("submit in doubt: sending it again once the link allows; the phone may receive it twice", "part", dp.Key.String(), "transport", l.name,
		"resend", sends, "max_in_doubt_resends", l.maxInDoubtResends, "err", err)
	next := now.Add(backoff(dp.Part.Attempts, g.conf().RetryFloor, g.conf().RetryCeiling))
	if !dp.Expires.IsZero() && next.After(dp.Expires) {
		d.finish(ctx, dp.Key, store.PartExpired, "validity period ended; last send in doubt: "+err.Error())
		return
	}
	reason := "in doubt: " + err.Error()
	if err := d.recordOutcome(ctx, "scheduling a resend", dp.Key, func(c context.Context) error { return g.st.RetryInDoubt(c, dp.Key, next, reason, now) }); err != nil {
		g.log.Error("scheduling a resend; the part will be resent after a restart", "part", dp.Key.String(), "err", err)
	}
}

// inDoubtReason is the status of a part not sent again after sends in doubt.
func inDoubtReason(sends, maxResends int, last string) string {
	return fmt.Sprintf("sent %d time(s) without learning whether the network took it (last: %s); not sent again (max_in_doubt_resends = %d): the phone may have received it",
		sends, last, maxResends)
}

// resendsExhausted ends a part whose sends in doubt (counted after a
// restart, say) already reach the lane's bound, before it is sent again.
func (d *dispatcher) resendsExhausted(ctx context.Context, l *lane, dp store.DuePart) bool {
	if dp.Part.InDoubt <= l.maxInDoubtResends {
		if dp.Part.InDoubt > 0 {
			if o := d.g.inDoubtObs(); o != nil {
				o.InDoubtResend(l.name)
			}
		}
		return false
	}
	d.g.log.Warn("part in doubt after a restart and not sent again: the network may have it", "part", dp.Key.String(), "transport", l.name,
		"sends_in_doubt", dp.Part.InDoubt, "max_in_doubt_resends", l.maxInDoubtResends)
	d.finish(ctx, dp.Key, store.PartFailed, inDoubtReason(dp.Part.InDoubt, l.maxInDoubtResends, dp.Part.Error))
	return true
}

// maybeTwiceNotes are the report's lines on parts the phone may have
// received twice.
func maybeTwiceNotes(rc *store.Recipient) []string {
	var notes []string
	for _, p := range rc.Parts {
		if !p.MaybeTwice() {
			continue
		}
		what := "The SMS"
		if p.Total > 1 {
			what = fmt.Sprintf("Part %d of %d", p.Seq, p.Total)
		}
		why := "it was sent again after the network did not answer in time"
		if p.AlsoID != "" {
			why = "the network accepted it twice (a late answer came after it was sent again)"
		}
		notes = append(notes, fmt.Sprintf("%s may have reached the phone twice: %s.", what, why))
	}
	return notes
}
