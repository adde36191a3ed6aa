package bridge

import (
	"context"
	"time"

	"github.com/smsbridge/smsbridge/mailout"
	"github.com/smsbridge/smsbridge/store"
)

const (
	outboxBatch     = 100
	outboxIdle      = time.Minute      // look at the outbox at least this often
	mailRetryFloor  = 30 * time.Second // first retry of a mail the smarthost refused
	mailRetryCeil   = time.Hour
	mailMaxLifetime = 5 * 24 * time.Hour // as MTAs do: a mail undeliverable this long is dropped
)

// outbox sends the mail the gateway writes (reports, replies from phones).
// Mail is stored before anything tries to send it, so a smarthost that is
// down delays mail and never loses it.
type outbox struct {
	g      *Gateway
	kicker // wakes run: there may be work

	// Used by run only. storeFail holds off sending while store writes
	// fail; sent holds mails handed on whose removal from the store
	// failed, so that they are removed, not sent again.
	storeFail storeBackoff
	sent      map[string]bool
}

func newOutbox(g *Gateway) *outbox {
	return &outbox{g: g, kicker: newKicker(), sent: map[string]bool{}}
}

// queue stores a mail for sending; what names what it settles in the same
// commit (a report, a delay notice).
func (o *outbox) queue(ctx context.Context, m *mailout.Mail, what store.MailFor) error {
	om := &store.OutMail{ID: store.NewID(), From: m.From, To: m.To, Data: m.Data, Created: o.g.now()}
	if err := o.g.st.QueueMail(context.WithoutCancel(ctx), om, what); err != nil {
		return err
	}
	o.kick()
	return nil
}

func (o *outbox) run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-o.kicker:
		case <-timer.C:
		}
		timer.Reset(o.send(ctx))
	}
}

// send delivers every due mail and returns how long to wait for the next.
func (o *outbox) send(ctx context.Context) time.Duration {
	g := o.g
	for ctx.Err() == nil {
		if wait := o.storeFail.wait(); wait > 0 {
			return wait
		}
		due, err := g.st.DueMail(g.now(), outboxBatch)
		if err != nil {
			g.log.Error("reading the outbox", "err", err)
			return outboxIdle
		}
		for i := range due {
			o.deliver(ctx, &due[i])
		}
		if len(due) < outboxBatch {
			break
		}
	}
	next, ok, err := g.st.NextMail()
	if err != nil || !ok {
		return outboxIdle
	}
	return min(max(next.Sub(g.now()), 0), outboxIdle)
}

func (o *outbox) deliver(ctx context.Context, om *store.OutMail) {
	g := o.g
	if o.storeFail.wait() > 0 {
		return // the rest of the batch waits with the store
	}
	if o.sent[om.ID] {
		o.remove(ctx, om)
		return
	}
	err := g.mailer.Deliver(ctx, &mailout.Mail{From: om.From, To: om.To, Data: om.Data})
	g.obs.MailSent(err == nil)
	now := g.now()
	switch {
	case err == nil:
		g.log.Info("mail sent", "mail_id", om.ID, "to", om.To)
	case mailout.IsPermanent(err):
		g.log.Warn("mail refused for good; dropping it", "mail_id", om.ID, "to", om.To, "err", err)
	case now.Sub(om.Created) > mailMaxLifetime:
		g.log.Warn("mail undeliverable for too long; dropping it", "mail_id", om.ID, "to", om.To, "since", om.Created, "err", err)
	default:
		floor := g.conf().MailRetryFloor
		if floor <= 0 {
			floor = mailRetryFloor
		}
		next := now.Add(backoff(om.Attempts+1, floor, mailRetryCeil))
		g.log.Warn("mail delivery failed; will retry", "mail_id", om.ID, "to", om.To, "at", next, "err", err)
		if err := g.st.MailRetry(context.WithoutCancel(ctx), om.ID, next, err.Error()); err != nil {
			g.log.Error("rescheduling mail", "mail_id", om.ID, "hold_off", o.storeFail.failed(err).String(), "err", err)
		} else {
			o.storeFail.ok()
		}
		return
	}
	o.remove(ctx, om)
}

// remove takes a mail handed on (or dropped) out of the outbox. When the
// store cannot write, the mail is remembered as sent so that it is not
// sent again while this process runs.
func (o *outbox) remove(ctx context.Context, om *store.OutMail) {
	if err := o.g.st.MailSent(context.WithoutCancel(ctx), om.ID); err != nil {
		o.sent[om.ID] = true
		o.g.log.Error("removing sent mail from the outbox; it may be sent again after a restart", "mail_id", om.ID, "hold_off", o.storeFail.failed(err).String(), "err", err)
		return
	}
	delete(o.sent, om.ID)
	o.storeFail.ok()
}
