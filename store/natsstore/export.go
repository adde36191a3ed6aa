package natsstore

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

// Export calls fn with every record the store holds, in store.RecordKinds
// order, as the view holds them at the call: one consistent snapshot of
// what this process has seen (each original read from the server as its
// message comes). The policy counters are this instance's.
func (s *Store) Export(ctx context.Context, fn func(store.Record) error) error {
	var recs []store.Record
	if err := s.read(func(v *view) error { recs = v.export(s.opt.Instance); return nil }); err != nil {
		return fmt.Errorf("natsstore: export: %w", err)
	}
	for _, r := range recs {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("natsstore: export: %w", err)
		}
		if r.Message != nil {
			var err error
			if r.Message.Original, err = s.original(ctx, r.Message.ID); err != nil {
				return fmt.Errorf("natsstore: export: original %s: %w", r.Message.ID, err)
			}
		}
		if err := fn(r); err != nil {
			return fmt.Errorf("natsstore: export: %w", err)
		}
	}
	return nil
}

// export makes the records of everything the view holds; they share no
// memory with it.
func (v *view) export(instance string) []store.Record {
	var out []store.Record
	for _, id := range v.list.items {
		m, rs, _ := v.message(id)
		msg := &store.Message{ID: id, Received: m.Received, Expires: m.Expires, Sender: m.Sender, Source: m.Source,
			Subject: m.Subject, MessageID: m.MessageID, EnvID: m.EnvID, Ret: m.Ret, Header: bytes.Clone(m.Header),
			Omitted: m.Omitted, Class: m.Class, Recipients: make([]store.Recipient, len(rs))}
		if m.Campaign != nil {
			p := *m.Campaign
			msg.Campaign = &p
		}
		var delay []int
		for i, r := range rs {
			rc := store.Recipient{Address: r.Address, Number: r.Number, ORCPT: r.ORCPT, Notify: r.Notify, Reported: r.Reported}
			for _, p := range r.Parts {
				p.Payload = bytes.Clone(p.Payload)
				rc.Parts = append(rc.Parts, p.Part)
			}
			msg.Recipients[i] = rc
			if r.Delay {
				delay = append(delay, i)
			}
		}
		out = append(out, store.Record{Message: msg, DelayWatch: delay})
	}
	for _, k := range sortedKeys(v.mails) {
		m := v.mails[k].OutMail
		m.To, m.Data = slices.Clone(m.To), bytes.Clone(m.Data)
		out = append(out, store.Record{Mail: &m})
	}
	for _, k := range sortedKeys(v.parked) {
		p := *v.parked[k]
		out = append(out, store.Record{Parked: &p})
	}
	for _, n := range sortedKeys(v.convs) {
		out = append(out, store.Record{Conversation: &store.NumberConversation{Number: n, Conversation: v.convs[n]}})
	}
	for _, n := range sortedKeys(v.optouts) {
		out = append(out, store.Record{OptOut: &store.OptOutEntry{Number: n, Since: v.optouts[n]}})
	}
	if p := v.policy[instance]; len(p) > 0 {
		out = append(out, store.Record{PolicyCounters: bytes.Clone(p)})
	}
	for _, k := range sortedKeys(v.quota) {
		pk, err := parseKey(k)
		if err != nil {
			continue
		}
		out = append(out, store.Record{Quota: &store.QuotaCount{SIM: pk.names[0], Month: pk.names[1] == "m",
			Period: pk.names[2], Count: v.quota[k]}})
	}
	for _, set := range sortedKeys(v.segs) {
		r := v.segs[set]
		c := &store.SegmentsCopy{SegmentSet: r.set(set)}
		for i, g := range r.Segments {
			c.Segments[i].Data = bytes.Clone(g.Data)
			c.Digests = append(c.Digests, bytes.Clone(g.Digest))
		}
		out = append(out, store.Record{Segments: c})
	}
	for _, id := range sortedKeys(v.watches) {
		w := *v.watches[id]
		w.Data, w.Told = bytes.Clone(w.Data), bytes.Clone(w.Told)
		out = append(out, store.Record{Watch: &w})
	}
	for _, id := range sortedKeys(v.callbacks) {
		c := v.callbacks[id].Callback
		c.Data = bytes.Clone(c.Data)
		out = append(out, store.Record{Callback: &c})
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Import writes one record as Export (of any backend) gave it, with the
// records its indexes need. It is idempotent: a record whose key the store
// holds already is left alone and Import returns an error wrapping
// store.ErrExists. A message's recipients are written before its message
// record, as Enqueue writes them; its recipients, mail and callbacks are
// held by this instance; its submitting parts by no instance, so that the
// first Recover puts them back in the queue, in doubt.
func (s *Store) Import(ctx context.Context, r store.Record) error {
	kind, err := r.Kind()
	if err != nil {
		return fmt.Errorf("natsstore: import: %w", err)
	}
	if err := s.importRecord(ctx, &r); err != nil {
		return fmt.Errorf("natsstore: import %s: %w", kind, err)
	}
	return nil
}

func (s *Store) importRecord(ctx context.Context, r *store.Record) error {
	create := func(k string, v []byte) error {
		var there bool
		if err := s.read(func(v *view) error { there = v.has(k); return nil }); err != nil {
			return err
		}
		if there {
			return store.ErrExists
		}
		_, err := s.write(ctx, k, v, 0, putCreate)
		return err
	}
	switch {
	case r.Message != nil:
		return s.importMessage(ctx, r.Message, r.DelayWatch)
	case r.Mail != nil:
		m := *r.Mail
		if !validID(m.ID) || len(m.To) == 0 || m.Attempts < 0 {
			return fmt.Errorf("%w: mail %q with %d recipients", store.ErrInvalid, m.ID, len(m.To))
		}
		var there bool
		if err := s.read(func(v *view) error { _, there = v.mailIDs[m.ID]; return nil }); err != nil {
			return err
		}
		if there {
			return store.ErrExists
		}
		return create(mailKey(m.ID), encode(&mailRecord{OutMail: m, Holder: s.opt.Instance}))
	case r.Parked != nil:
		p := *r.Parked
		if err := validTransport(p.Transport); err != nil || p.ID == "" {
			return fmt.Errorf("%w: parked receipt %q of %q", store.ErrInvalid, p.ID, p.Transport)
		}
		return create(parkedKey(p.Transport, p.ID), encode(&p))
	case r.Conversation != nil:
		if r.Conversation.Number == "" {
			return fmt.Errorf("%w: conversation without a number", store.ErrInvalid)
		}
		return create(convKey(r.Conversation.Number), encode(&r.Conversation.Conversation))
	case r.OptOut != nil:
		if r.OptOut.Number == "" {
			return fmt.Errorf("%w: opt-out without a number", store.ErrInvalid)
		}
		return create(optOutKey(r.OptOut.Number), encode(r.OptOut.Since))
	case r.PolicyCounters != nil:
		if len(r.PolicyCounters) == 0 {
			return fmt.Errorf("%w: empty policy counters", store.ErrInvalid)
		}
		return create(policyKey(s.opt.Instance), bytes.Clone(r.PolicyCounters))
	case r.Quota != nil:
		q := r.Quota
		kind, layout := byte('d'), "20060102"
		if q.Month {
			kind, layout = 'm', "200601"
		}
		if _, err := time.Parse(layout, q.Period); err != nil || !validID(q.SIM) || q.Count < 0 {
			return fmt.Errorf("%w: quota of SIM %q for %q: %d", store.ErrInvalid, q.SIM, q.Period, q.Count)
		}
		return create(quotaKey(q.SIM, kind, q.Period), fmt.Appendf(nil, "%d", q.Count))
	case r.Segments != nil:
		rec, err := importSegments(r.Segments)
		if err != nil {
			return err
		}
		return create(segKey(r.Segments.Set), encode(rec))
	case r.Watch != nil:
		w := *r.Watch
		if !validID(w.Msg) {
			return fmt.Errorf("%w: watch of message %q", store.ErrInvalid, w.Msg)
		}
		return create(watchKey(w.Msg), encode(&w))
	case r.Callback != nil:
		c := *r.Callback
		if !validID(c.ID) || c.Attempts < 0 {
			return fmt.Errorf("%w: callback %q", store.ErrInvalid, c.ID)
		}
		return create(callbackKey(c.ID), encode(&callbackRecord{Callback: c}))
	}
	return fmt.Errorf("%w: empty record", store.ErrInvalid)
}

func importSegments(c *store.SegmentsCopy) (*segRecord, error) {
	if c.Set == "" || len(c.Set) > maxSetKeyLen || len(c.Segments) == 0 || len(c.Segments) > 255 || len(c.Digests) != len(c.Segments) {
		return nil, fmt.Errorf("%w: segment set %q: %d segments, %d digests", store.ErrInvalid, c.Set, len(c.Segments), len(c.Digests))
	}
	r := &segRecord{First: c.First, Closed: c.Closed}
	for i, g := range c.Segments {
		if g.Seq < 1 || g.Seq > 255 || (i > 0 && g.Seq <= c.Segments[i-1].Seq) || !validID(g.ID) || len(c.Digests[i]) != 16 {
			return nil, fmt.Errorf("%w: segment set %q: segment %d (seq %d, id %q)", store.ErrInvalid, c.Set, i, g.Seq, g.ID)
		}
		r.Segments = append(r.Segments, segment{Seq: g.Seq, ID: g.ID, Received: g.Received, Digest: c.Digests[i], Data: g.Data})
	}
	return r, nil
}

// importMessage writes m as it stands: its recipients (with the id
// records of its submitted parts) first, its message record last.
func (s *Store) importMessage(ctx context.Context, m *store.Message, delay []int) error {
	if err := validateImport(m, delay); err != nil {
		return err
	}
	var there bool
	if err := s.read(func(v *view) error { there = v.msgs[m.ID] != nil; return nil }); err != nil {
		return err
	}
	if there {
		return store.ErrExists
	}
	mr := msgRecord{Received: m.Received, Expires: m.Expires, Sender: m.Sender, Source: m.Source, Subject: m.Subject,
		MessageID: m.MessageID, EnvID: m.EnvID, Ret: m.Ret, Header: m.Header, Omitted: m.Omitted, Class: m.Class,
		Campaign: m.Campaign, Recipients: len(m.Recipients)}
	var recs []record
	for i := 0; i*s.chunk < len(m.Original); i++ {
		recs = append(recs, record{origKey(m.ID, i), m.Original[i*s.chunk : min((i+1)*s.chunk, len(m.Original))]})
		mr.Original++
	}
	for i, rc := range m.Recipients {
		rr := rcptRecord{Address: rc.Address, Number: rc.Number, ORCPT: rc.ORCPT, Notify: rc.Notify, Reported: rc.Reported,
			Delay: slices.Contains(delay, i), Holder: s.opt.Instance}
		for j, p := range rc.Parts {
			rr.Parts = append(rr.Parts, partRecord{Part: p})
			if p.State != store.PartSubmitted {
				continue
			}
			t := encode(tidRecord{Msg: m.ID, Rcpt: i, Part: j})
			if p.TransportID != "" {
				recs = append(recs, record{tidKey(p.Transport, p.TransportID), t})
			}
			if p.AlsoID != "" {
				recs = append(recs, record{tidKey(p.AlsoTransport, p.AlsoID), t})
			}
		}
		// putAny: a recipient record without its message is what an
		// import cut short left, and this import's to replace.
		recs = append(recs, record{rcptKey(store.RcptKey{Msg: m.ID, Rcpt: i}), encode(&rr)})
	}
	if err := s.writeAll(ctx, recs, putAny); err != nil {
		return err
	}
	_, err := s.write(ctx, msgKey(m.ID), encode(&mr), 0, putCreate)
	return err
}

// validateImport checks what Enqueue checks, and that every part's state
// and counts are ones a part can have.
func validateImport(m *store.Message, delay []int) error {
	if !validID(m.ID) || len(m.Recipients) == 0 || len(m.Recipients) > maxRecipients {
		return fmt.Errorf("%w: message %q with %d recipients", store.ErrInvalid, m.ID, len(m.Recipients))
	}
	if m.Received.IsZero() || !m.Class.Valid() {
		return fmt.Errorf("%w: message %s received %v in class %v", store.ErrInvalid, m.ID, m.Received, m.Class)
	}
	for _, i := range delay {
		if i < 0 || i >= len(m.Recipients) {
			return fmt.Errorf("%w: message %s delay watch of recipient %d", store.ErrInvalid, m.ID, i)
		}
	}
	for i, r := range m.Recipients {
		if len(r.Parts) == 0 || len(r.Parts) > maxParts {
			return fmt.Errorf("%w: message %s recipient %d has %d parts", store.ErrInvalid, m.ID, i, len(r.Parts))
		}
		for j, p := range r.Parts {
			if p.State < store.PartQueued || p.State > store.PartCancelled || p.Attempts < 0 || p.InDoubt < 0 ||
				strings.IndexByte(p.Transport, 0) >= 0 || strings.IndexByte(p.AlsoTransport, 0) >= 0 {
				return fmt.Errorf("%w: part %s: state %v, %d attempts, %d in doubt", store.ErrInvalid,
					store.PartKey{Msg: m.ID, Rcpt: i, Part: j}, p.State, p.Attempts, p.InDoubt)
			}
		}
	}
	return nil
}

var (
	_ store.Exporter = (*Store)(nil)
	_ store.Importer = (*Store)(nil)
)
