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
	reportInterval = 30 * time.Second // look for unreported recipients at least this often
	reportMaxDelay = 10 * time.Minute // longest pause after failed report deliveries
)

// reporter sends one report per recipient once all its parts are final. The
// store's "unreported" set is the outbox: a report is marked only after the
// mail is handed on, so a crash or a smarthost outage delays it, never loses it.
type reporter struct {
	g      *Gateway
	kickCh chan struct{}
}

func newReporter(g *Gateway) *reporter { return &reporter{g: g, kickCh: make(chan struct{}, 1)} }

func (r *reporter) kick() {
	select {
	case r.kickCh <- struct{}{}:
	default:
	}
}

func (r *reporter) run(ctx context.Context) {
	failures := 0
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.kickCh:
		case <-timer.C:
		}
		wait := reportInterval
		if err := r.round(ctx); err != nil {
			failures++
			wait = min(time.Duration(1<<min(failures, 10))*time.Second, reportMaxDelay)
			r.g.log.Warn("delivering reports failed; will retry", "in", wait.String(), "err", err)
		} else {
			failures = 0
		}
		timer.Reset(wait)
	}
}

// round reports every recipient that is due; it stops at the first
// temporary delivery failure.
func (r *reporter) round(ctx context.Context) error {
	for ctx.Err() == nil {
		keys, err := r.g.st.Unreported(reportBatch)
		if err != nil || len(keys) == 0 {
			return err
		}
		msgs := map[string]*store.Message{}
		for _, k := range keys {
			m := msgs[k.Msg]
			if m == nil {
				if m, err = r.g.st.Message(k.Msg); err != nil {
					return err
				}
				msgs[k.Msg] = m
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

func (r *reporter) report(ctx context.Context, m *store.Message, k store.RcptKey) error {
	rc := &m.Recipients[k.Rcpt]
	rep := r.compose(m, rc)
	if rep != nil {
		mail := &mailout.Mail{From: "", To: []string{m.Sender}, Data: dsn.Compose(rep)}
		err := r.g.mailer.Deliver(ctx, mail)
		switch {
		case mailout.IsPermanent(err):
			r.g.log.Warn("report refused for good; dropping it", "msg_id", m.ID, "to", m.Sender, "err", err)
		case err != nil:
			return err
		default:
			r.g.log.Info("report sent", "msg_id", m.ID, "to", m.Sender, "number", rc.Number, "action", string(rep.Action))
		}
	}
	return r.g.st.MarkReported(context.WithoutCancel(ctx), k)
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
		Hostname: r.g.cfg.Hostname, From: r.g.cfg.ReportFrom, To: m.Sender,
		Subject: m.Subject, MessageID: m.MessageID, EnvID: m.EnvID, Arrival: m.Received, Date: last.Updated,
		Recipient: rc.Address, ORCPT: rc.ORCPT, Number: carriers.Format(rc.Number),
		Action: action, Status: status, Transport: last.Transport, Headers: m.Header,
	}
	if action != dsn.Delivered {
		rep.Reason, rep.Diagnosis = reason, last.Error
	}
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
