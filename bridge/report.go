package bridge

import (
	"context"
	"time"

	"github.com/smsbridge/smsbridge/bridge/dsn"
	"github.com/smsbridge/smsbridge/carriers"
	"github.com/smsbridge/smsbridge/mailout"
	"github.com/smsbridge/smsbridge/store"
)

const (
	reportBatch    = 100
	reportInterval = 30 * time.Second // look for due reports at least this often
	reportRetry    = 10 * time.Second // after a store error
)

// reporter writes one report per recipient once all its parts are final,
// and delay notices for recipients still not final after DelayAfter. A
// report goes into the outbox in the same commit that marks the recipient
// reported, so a crash neither loses nor repeats it.
type reporter struct {
	g      *Gateway
	kicker // wakes run: there may be work
}

func newReporter(g *Gateway) *reporter { return &reporter{g: g, kicker: newKicker()} }

func (r *reporter) run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.kicker:
		case <-timer.C:
		}
		wait := r.interval()
		if err := r.round(ctx); err != nil {
			wait = reportRetry
			r.g.log.Error("writing reports failed; will retry", "in", wait.String(), "err", err)
		}
		timer.Reset(wait)
	}
}

// interval is how often to look for due reports without a kick: delay
// notices come due with time alone, so a short DelayAfter is checked sooner.
func (r *reporter) interval() time.Duration {
	if d := r.g.conf().DelayAfter; d > 0 {
		return min(reportInterval, max(d/4, 50*time.Millisecond))
	}
	return reportInterval
}

// round writes every report and delay notice that is due.
func (r *reporter) round(ctx context.Context) error {
	if err := r.finalReports(ctx); err != nil {
		return err
	}
	return r.delayNotices(ctx)
}

func (r *reporter) finalReports(ctx context.Context) error {
	for ctx.Err() == nil {
		keys, err := r.g.st.Unreported(reportBatch)
		if err != nil || len(keys) == 0 {
			return err
		}
		msgs := map[string]*store.Message{}
		for _, k := range keys {
			m, err := r.message(msgs, k.Msg)
			if err != nil {
				return err
			}
			if err := r.report(ctx, m, k); err != nil {
				return err
			}
		}
		if len(keys) < reportBatch {
			return nil
		}
	}
	return ctx.Err()
}

func (r *reporter) message(cache map[string]*store.Message, id string) (*store.Message, error) {
	if m := cache[id]; m != nil {
		return m, nil
	}
	m, err := r.g.st.Message(id)
	if err != nil {
		return nil, err
	}
	if m.Ret == "FULL" {
		if m.Original, err = r.g.st.Original(id); err != nil {
			return nil, err
		}
	}
	cache[id] = m
	return m, nil
}

func (r *reporter) report(ctx context.Context, m *store.Message, k store.RcptKey) error {
	rc := &m.Recipients[k.Rcpt]
	rep := r.compose(m, rc)
	if rep == nil {
		return r.g.st.MarkReported(context.WithoutCancel(ctx), k)
	}
	data, err := dsn.Compose(rep)
	if err != nil {
		r.g.log.Warn("no report: it cannot be written safely", "msg_id", m.ID, "err", err)
		return r.g.st.MarkReported(context.WithoutCancel(ctx), k)
	}
	mail := &mailout.Mail{From: "", To: []string{m.Sender}, Data: data}
	if err := r.g.outbox.queue(ctx, mail, store.MailFor{Report: &k}); err != nil {
		return err
	}
	r.g.log.Info("report queued", "msg_id", m.ID, "to", m.Sender, "number", rc.Number, "action", string(rep.Action))
	return nil
}

// delayNotices writes one "delayed" report for each recipient that asked
// for it (NOTIFY=DELAY, or the receipt mode) and is still not final after
// DelayAfter.
func (r *reporter) delayNotices(ctx context.Context) error {
	if r.g.conf().DelayAfter <= 0 {
		return nil
	}
	keys, err := r.g.st.DelayDue(r.g.now().Add(-r.g.conf().DelayAfter), reportBatch)
	if err != nil {
		return err
	}
	msgs := map[string]*store.Message{}
	for _, k := range keys {
		m, err := r.message(msgs, k.Msg)
		if err != nil {
			return err
		}
		rep := r.delayed(m, &m.Recipients[k.Rcpt])
		if rep == nil {
			if err := r.g.st.DelayDone(context.WithoutCancel(ctx), k); err != nil {
				return err
			}
			continue
		}
		data, err := dsn.Compose(rep)
		if err != nil {
			r.g.log.Warn("no delay notice: it cannot be written safely", "msg_id", m.ID, "err", err)
			if err := r.g.st.DelayDone(context.WithoutCancel(ctx), k); err != nil {
				return err
			}
			continue
		}
		mail := &mailout.Mail{From: "", To: []string{m.Sender}, Data: data}
		if err := r.g.outbox.queue(ctx, mail, store.MailFor{Delay: &k}); err != nil {
			return err
		}
		r.g.log.Info("delay notice queued", "msg_id", m.ID, "to", m.Sender, "number", m.Recipients[k.Rcpt].Number)
	}
	return nil
}

// delayed returns the delay notice for a recipient still on its way, or nil
// when none is due (final meanwhile, or the null sender).
func (r *reporter) delayed(m *store.Message, rc *store.Recipient) *dsn.Report {
	var last store.Part
	final := true
	for _, p := range rc.Parts {
		if !p.State.Final() {
			final = false
		}
		if p.Updated.After(last.Updated) {
			last = p
		}
	}
	if final || m.Sender == "" || rc.Notify&store.NotifyDelay == 0 {
		return nil
	}
	reason := "the network has not confirmed delivery yet"
	if last.Error != "" {
		reason = last.Error
	}
	return &dsn.Report{
		Hostname: r.g.conf().Hostname, From: r.g.conf().ReportFrom, To: m.Sender,
		Subject: m.Subject, MessageID: m.MessageID, EnvID: m.EnvID, Arrival: m.Received, Date: r.g.now(),
		Recipient: rc.Address, ORCPT: rc.ORCPT, Number: carriers.Format(rc.Number),
		Action: dsn.Delayed, Status: "4.4.7", Reason: reason, Transport: last.Transport, Omitted: m.Omitted,
		Headers: m.Header, Original: m.Original, RetryUntil: m.Expires,
	}
}

// compose returns the report due for a recipient whose parts are all final,
// or nil when none was asked for. Reports never go to the null sender.
func (r *reporter) compose(m *store.Message, rc *store.Recipient) *dsn.Report {
	action, status, reason, last := outcome(rc)
	want := store.NotifyFailure
	if action == dsn.Delivered {
		want = store.NotifySuccess
	}
	if m.Sender == "" || rc.Notify&want == 0 {
		return nil
	}
	rep := &dsn.Report{
		Hostname: r.g.conf().Hostname, From: r.g.conf().ReportFrom, To: m.Sender,
		Subject: m.Subject, MessageID: m.MessageID, EnvID: m.EnvID, Arrival: m.Received, Date: last.Updated,
		Recipient: rc.Address, ORCPT: rc.ORCPT, Number: carriers.Format(rc.Number),
		Action: action, Status: status, Transport: last.Transport, Headers: m.Header, Original: m.Original,
		Omitted: m.Omitted,
	}
	if action != dsn.Delivered {
		rep.Reason, rep.Diagnosis = reason, last.Error
	}
	rep.Notes = append(rep.Notes, maybeTwiceNotes(rc)...)
	rep.Notes = append(rep.Notes, movedNotes(rc)...)
	if rep.Date.IsZero() {
		rep.Date = r.g.now()
	}
	return rep
}

// outcome sums up a recipient's parts: delivered only when every part was.
// last is the part that decided the outcome.
func outcome(rc *store.Recipient) (action dsn.Action, status, reason string, last store.Part) {
	action, status = dsn.Delivered, "2.0.0"
	for _, p := range rc.Parts {
		switch p.State {
		case store.PartDelivered:
			if action == dsn.Delivered && p.Updated.After(last.Updated) {
				last = p
			}
		case store.PartExpired:
			if action == dsn.Delivered {
				action, status, reason, last = dsn.Failed, "5.4.7", "the message expired before it could be delivered", p
			}
		default:
			if action == dsn.Delivered || status == "5.4.7" {
				action, status, reason, last = dsn.Failed, "5.0.0", p.Error, p
			}
		}
	}
	return action, status, reason, last
}
