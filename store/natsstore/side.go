package natsstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

// QueueMail stores m (its ID set by the caller) due now and settles what
// for names. A report's mail is stored under a key named by its recipient
// and report generation (a delay notice's by its recipient) before the
// recipient is marked: a crash between the two leaves the recipient
// unreported, and the instance that reports it again finds its mail
// queued already instead of queuing a second one. MailSent marks the
// recipient before it deletes such a mail, so that the key is never free
// while the report is due.
func (s *Store) QueueMail(ctx context.Context, m *store.OutMail, what store.MailFor) error {
	if !validID(m.ID) || len(m.To) == 0 {
		return fmt.Errorf("natsstore: queue mail: %w: id %q, %d recipients", store.ErrInvalid, m.ID, len(m.To))
	}
	if err := s.queueMail(ctx, m, what); err != nil {
		return fmt.Errorf("natsstore: queue mail %s: %w", m.ID, err)
	}
	return nil
}

func (s *Store) queueMail(ctx context.Context, m *store.OutMail, what store.MailFor) error {
	rec := mailRecord{OutMail: *m, Holder: s.opt.Instance, Report: what.Report, Delay: what.Delay}
	rec.NextAttempt = m.Created
	k := mailKey(m.ID)
	if what.Report != nil {
		// Another instance may have reported it a moment ago.
		if err := s.refresh(ctx, rcptKey(*what.Report)); err != nil {
			return err
		}
	}
	reported := false
	err := s.read(func(v *view) error {
		if _, ok := v.mailIDs[m.ID]; ok {
			return store.ErrExists
		}
		if what.Report != nil {
			r := v.rcpts[*what.Report]
			if r == nil || !v.visible(what.Report.Msg) {
				return fmt.Errorf("recipient %s: %w", *what.Report, store.ErrNotFound)
			}
			k, reported = reportKey(*what.Report, r.Gen), r.Reported
		}
		if what.Delay != nil && what.Report == nil {
			if v.rcpts[*what.Delay] == nil || !v.visible(what.Delay.Msg) {
				return fmt.Errorf("recipient %s: %w", *what.Delay, store.ErrNotFound)
			}
			k = noticeKey(*what.Delay)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if reported {
		return nil // its report went already: this mail would be a second
	}
	_, err = s.write(ctx, k, encode(&rec), 0, putCreate)
	switch {
	case errors.Is(err, store.ErrExists) && k != mailKey(m.ID):
		// This report or notice is queued already (by this instance
		// before a crash, or by another): only the mark is missing.
	case err != nil:
		return err
	}
	if what.Report != nil {
		if err := s.markReported(ctx, *what.Report); err != nil {
			return err
		}
	}
	if what.Delay != nil {
		return s.delayDone(ctx, *what.Delay)
	}
	return nil
}

// DueMail lists queued mail due at now, earliest first, at most limit:
// the mail this instance holds, and that of instances gone, which it
// takes over first. Each mail is sent by one instance.
func (s *Store) DueMail(now time.Time, limit int) ([]store.OutMail, error) {
	type due struct {
		key string
		m   *mailRecord
	}
	var list []due
	err := s.read(func(v *view) error {
		for k, m := range v.mails {
			if !m.NextAttempt.After(now) && (m.Holder == s.opt.Instance || !s.alive(v, m.Holder)) {
				list = append(list, due{k, m})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: due mail: %w", err)
	}
	slices.SortFunc(list, func(a, b due) int {
		return cmp.Or(a.m.NextAttempt.Compare(b.m.NextAttempt), strings.Compare(a.m.ID, b.m.ID))
	})
	var out []store.OutMail
	for _, d := range list {
		if len(out) == limit {
			break
		}
		if d.m.Holder != s.opt.Instance {
			if err := s.claimMail(d.key); errors.Is(err, errNotClaimed) {
				continue
			} else if err != nil {
				return nil, fmt.Errorf("natsstore: due mail: %w", err)
			}
		}
		out = append(out, d.m.OutMail)
	}
	return out, nil
}

// claimMail makes this instance the holder of the mail under k, by
// compare-and-swap, while its holder is gone.
func (s *Store) claimMail(k string) error {
	return s.changeMail(context.Background(), k, func(v *view, m *mailRecord) error {
		if s.alive(v, m.Holder) {
			return errNotClaimed
		}
		m.Holder = s.opt.Instance
		return nil
	})
}

// changeMail applies fn to the mail under k by compare-and-swap; fn runs
// under the view's read lock.
func (s *Store) changeMail(ctx context.Context, k string, fn func(v *view, m *mailRecord) error) error {
	return casRecord(ctx, s, k, func(v *view) (*mailRecord, error) {
		if m := v.mails[k]; m != nil {
			return m, nil
		}
		return nil, store.ErrNotFound
	}, fn)
}

// NextMail is when the earliest mail this instance may send is due; ok is
// false when there is none.
func (s *Store) NextMail() (t time.Time, ok bool, err error) {
	err = s.read(func(v *view) error {
		for _, m := range v.mails {
			if (m.Holder == s.opt.Instance || !s.alive(v, m.Holder)) && (!ok || m.NextAttempt.Before(t)) {
				t, ok = m.NextAttempt, true
			}
		}
		return nil
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("natsstore: next mail: %w", err)
	}
	return t, ok, nil
}

// ignoreNotFound: the recipient a mail settles may have been purged.
func ignoreNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

func (s *Store) mailKeyOf(id string) (string, error) {
	var k string
	err := s.read(func(v *view) error {
		var ok bool
		if k, ok = v.mailIDs[id]; !ok {
			return store.ErrNotFound
		}
		return nil
	})
	return k, err
}

// MailSent removes a mail that has been handed on (or given up on).
func (s *Store) MailSent(ctx context.Context, id string) error {
	var k string
	var m mailRecord
	err := s.read(func(v *view) error {
		var ok bool
		if k, ok = v.mailIDs[id]; !ok {
			return store.ErrNotFound
		}
		m = *v.mails[k]
		return nil
	})
	if err == nil && m.Report != nil {
		err = ignoreNotFound(s.markReported(ctx, *m.Report))
	}
	if err == nil && m.Delay != nil {
		err = ignoreNotFound(s.delayDone(ctx, *m.Delay))
	}
	if err == nil {
		err = s.remove(ctx, k, 0)
	}
	if err != nil {
		return fmt.Errorf("natsstore: mail sent %s: %w", id, err)
	}
	return nil
}

// MailRetry counts a failed delivery and makes the mail due again at next.
func (s *Store) MailRetry(ctx context.Context, id string, next time.Time, reason string) error {
	k, err := s.mailKeyOf(id)
	if err == nil {
		err = s.changeMail(ctx, k, func(_ *view, m *mailRecord) error {
			m.Attempts++
			m.NextAttempt, m.Error = next, reason
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("natsstore: mail retry %s: %w", id, err)
	}
	return nil
}

// ParkReceipt keeps r, replacing one parked for the same id, and forgets
// drop.
func (s *Store) ParkReceipt(ctx context.Context, r store.ParkedReceipt, drop []store.ParkedReceipt) error {
	if err := validTransport(r.Transport); err != nil || r.ID == "" {
		return fmt.Errorf("natsstore: park receipt: %w: transport %q id %q", store.ErrInvalid, r.Transport, r.ID)
	}
	if err := s.UnparkReceipts(ctx, drop); err != nil {
		return err
	}
	if _, err := s.write(ctx, parkedKey(r.Transport, r.ID), encode(&r), 0, putAny); err != nil {
		return fmt.Errorf("natsstore: park receipt: %w", err)
	}
	return nil
}

// UnparkReceipts forgets parked receipts: applied, or given up.
func (s *Store) UnparkReceipts(ctx context.Context, rs []store.ParkedReceipt) error {
	for _, r := range rs {
		k := parkedKey(r.Transport, r.ID)
		var ok bool
		if err := s.read(func(v *view) error { _, ok = v.rev(k); return nil }); err != nil {
			return fmt.Errorf("natsstore: unpark receipts: %w", err)
		}
		if !ok {
			continue
		}
		if err := s.remove(ctx, k, 0); err != nil {
			return fmt.Errorf("natsstore: unpark receipts: %w", err)
		}
	}
	return nil
}

// ParkedReceipts lists every parked receipt, oldest first.
func (s *Store) ParkedReceipts() ([]store.ParkedReceipt, error) {
	var out []store.ParkedReceipt
	err := s.read(func(v *view) error {
		for _, r := range v.parked {
			out = append(out, *r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: parked receipts: %w", err)
	}
	slices.SortFunc(out, func(a, b store.ParkedReceipt) int {
		return cmp.Or(a.Parked.Compare(b.Parked), strings.Compare(a.Transport, b.Transport), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// Conversation returns the conversation with number; ok is false when none
// is stored.
func (s *Store) Conversation(number string) (c store.Conversation, ok bool, err error) {
	err = s.read(func(v *view) error {
		c, ok = v.convs[number]
		return nil
	})
	if err != nil {
		return store.Conversation{}, false, fmt.Errorf("natsstore: conversation %s: %w", number, err)
	}
	return c, ok, nil
}

// SetConversation records the conversation with number.
func (s *Store) SetConversation(ctx context.Context, number string, c store.Conversation) error {
	if _, err := s.write(ctx, convKey(number), encode(&c), 0, putAny); err != nil {
		return fmt.Errorf("natsstore: set conversation %s: %w", number, err)
	}
	return nil
}

// OptOut puts number on the opt-out list.
func (s *Store) OptOut(ctx context.Context, number string, at time.Time) error {
	if _, err := s.write(ctx, optOutKey(number), encode(at), 0, putAny); err != nil {
		return fmt.Errorf("natsstore: opt out %s: %w", number, err)
	}
	return nil
}

// OptIn takes number off the opt-out list.
func (s *Store) OptIn(ctx context.Context, number string) error {
	k := optOutKey(number)
	var ok bool
	err := s.read(func(v *view) error { _, ok = v.rev(k); return nil })
	if err == nil && ok {
		err = s.remove(ctx, k, 0)
	}
	if err != nil {
		return fmt.Errorf("natsstore: opt in %s: %w", number, err)
	}
	return nil
}

// OptedOut reports whether number is on the opt-out list, and since when.
func (s *Store) OptedOut(number string) (bool, time.Time, error) {
	var since time.Time
	var out bool
	err := s.read(func(v *view) error {
		since, out = v.optouts[number]
		return nil
	})
	if err != nil {
		return false, time.Time{}, fmt.Errorf("natsstore: opted out %s: %w", number, err)
	}
	return out, since, nil
}

// Conversations returns at most limit conversations whose number sorts
// after after, in number order, within prefix; next is the after of the
// following page, "" at the end.
func (s *Store) Conversations(prefix, after string, limit int) (out []store.NumberConversation, next string, err error) {
	err = s.read(func(v *view) error {
		next = browse(slices.Collect(maps.Keys(v.convs)), prefix, after, limit, func(n string) {
			out = append(out, store.NumberConversation{Number: n, Conversation: v.convs[n]})
		})
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("natsstore: conversations: %w", err)
	}
	return out, next, nil
}

// OptOuts returns the opt-out list as Conversations returns conversations.
func (s *Store) OptOuts(prefix, after string, limit int) (out []store.OptOutEntry, next string, err error) {
	err = s.read(func(v *view) error {
		next = browse(slices.Collect(maps.Keys(v.optouts)), prefix, after, limit, func(n string) {
			out = append(out, store.OptOutEntry{Number: n, Since: v.optouts[n]})
		})
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("natsstore: opt-outs: %w", err)
	}
	return out, next, nil
}

// browse calls fn for the numbers with prefix after after, in order, at
// most limit, and returns the last one when more may follow.
func browse(numbers []string, prefix, after string, limit int, fn func(string)) string {
	if limit <= 0 {
		limit = store.DefaultListLimit
	}
	limit = min(limit, store.MaxListLimit)
	slices.Sort(numbers)
	n, last := 0, ""
	for _, k := range numbers {
		if k <= after || !strings.HasPrefix(k, prefix) {
			continue
		}
		if n == limit {
			return last
		}
		fn(k)
		n++
		last = k
	}
	return ""
}

// DelayDue lists recipients waiting for a delay notice whose message was
// received before before, oldest first, at most limit: those this
// instance holds, and those of instances gone, which it takes over
// first.
func (s *Store) DelayDue(before time.Time, limit int) ([]store.RcptKey, error) {
	var mine, claim []store.RcptKey
	err := s.read(func(v *view) error {
		for _, d := range v.delay.items {
			if len(mine)+len(claim) == limit || !d.t.Before(before) {
				break
			}
			switch h := v.rcpts[d.key].Holder; {
			case h == s.opt.Instance:
				mine = append(mine, d.key)
			case !s.alive(v, h):
				claim = append(claim, d.key)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("natsstore: delay due: %w", err)
	}
	claimed, err := s.claimRcpts(claim, func(r *rcptRecord) bool { return r.Delay })
	if err != nil {
		return nil, fmt.Errorf("natsstore: delay due: %w", err)
	}
	mine = append(mine, claimed...)
	var out []store.RcptKey
	err = s.read(func(v *view) error {
		ts := map[store.RcptKey]time.Time{}
		for _, k := range mine {
			if m := v.msgs[k.Msg]; m != nil {
				ts[k] = m.Received
			}
		}
		out = mine
		slices.SortFunc(out, func(a, b store.RcptKey) int { return cmpTimedRcpt(timedRcpt{ts[a], a}, timedRcpt{ts[b], b}) })
		return nil
	})
	return out, err
}

// DelayDone takes a recipient off the delay watch.
func (s *Store) DelayDone(ctx context.Context, k store.RcptKey) error {
	if err := s.delayDone(ctx, k); err != nil {
		return fmt.Errorf("natsstore: delay done %s: %w", k, err)
	}
	return nil
}

func (s *Store) delayDone(ctx context.Context, k store.RcptKey) error {
	return s.change(ctx, k, func(_ *msgRecord, r *rcptRecord) (bool, error) {
		if !r.Delay {
			return false, nil
		}
		r.Delay = false
		return true, nil
	})
}
