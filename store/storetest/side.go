package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/smsbridge/smsbridge/campaign"
	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/store"
)

// testEarlyReceipts: receipts that came before their submit was recorded
// are kept, replaced by id, dropped in the same commit, oldest first.
func testEarlyReceipts(h *harness) {
	r := func(id string, at time.Time) store.ParkedReceipt {
		return store.ParkedReceipt{Transport: "smsc", ID: id, State: 2, ErrorCode: "000", Done: at, Parked: at}
	}
	h.ok(h.b.ParkReceipt(ctx, r("a", t0), nil))
	h.ok(h.b.ParkReceipt(ctx, r("b", t0.Add(time.Second)), nil))
	h.ok(h.b.ParkReceipt(ctx, r("c", t0.Add(2*time.Second)), []store.ParkedReceipt{r("a", t0)}))
	again := r("b", t0.Add(3*time.Second))
	again.State = 5
	h.ok(h.b.ParkReceipt(ctx, again, nil))
	if err := h.b.ParkReceipt(ctx, store.ParkedReceipt{Transport: "smsc"}, nil); !errors.Is(err, store.ErrInvalid) {
		h.Errorf("ParkReceipt without an id: %v, want ErrInvalid", err)
	}
	if err := h.b.ParkReceipt(ctx, store.ParkedReceipt{Transport: "bad\x00name", ID: "x"}, nil); err == nil {
		h.Error("a transport name with NUL parked")
	}
	h.both("parked", func() {
		got, err := h.b.ParkedReceipts()
		h.ok(err)
		want := []store.ParkedReceipt{r("c", t0.Add(2*time.Second)), again}
		if len(got) != len(want) {
			h.Fatalf("ParkedReceipts = %+v, want %+v", got, want)
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.Transport != w.Transport || g.ID != w.ID || g.State != w.State || g.ErrorCode != w.ErrorCode ||
				!g.Done.Equal(w.Done) || !g.Parked.Equal(w.Parked) {
				h.Errorf("parked receipt %d = %+v, want %+v", i, g, w)
			}
		}
	})
	h.ok(h.b.UnparkReceipts(ctx, []store.ParkedReceipt{r("b", time.Time{}), r("c", time.Time{}), r("never", time.Time{})}))
	h.both("unparked", func() {
		if got, err := h.b.ParkedReceipts(); err != nil || len(got) != 0 {
			h.Errorf("ParkedReceipts after unpark = %+v, %v", got, err)
		}
	})
}

// testOutbox: the gateway's own mail waits until it is handed on; a
// failed delivery counts and waits; queuing a report settles it.
func testOutbox(h *harness) {
	h.enqueue(message("m", 1, 1, t0, priority.Normal))
	_, err := h.b.Finish(ctx, pk("m", 0, 0), store.PartFailed, "no route", t0)
	h.ok(err)
	h.unreported(rk("m", 0))
	report := rk("m", 0)
	mail := func(id string, at time.Time) *store.OutMail {
		return &store.OutMail{ID: id, From: "", To: []string{"alice@example.com"}, Data: []byte("Subject: report " + id + "\r\n\r\n"), Created: at}
	}
	h.ok(h.b.QueueMail(ctx, mail("o1", t0), store.MailFor{Report: &report}))
	h.ok(h.b.QueueMail(ctx, mail("o2", t0.Add(time.Second)), store.MailFor{}))
	if err := h.b.QueueMail(ctx, mail("o1", t0), store.MailFor{}); !errors.Is(err, store.ErrExists) {
		h.Errorf("QueueMail of an id queued already: %v, want ErrExists", err)
	}
	if err := h.b.QueueMail(ctx, &store.OutMail{ID: "o3", Created: t0}, store.MailFor{}); !errors.Is(err, store.ErrInvalid) {
		h.Errorf("QueueMail without recipients: %v, want ErrInvalid", err)
	}
	ids := func(ms []store.OutMail) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	h.both("queued", func() {
		h.unreported()
		due, err := h.b.DueMail(t0.Add(time.Minute), 10)
		h.ok(err)
		if !slices.Equal(ids(due), []string{"o1", "o2"}) {
			h.Fatalf("DueMail = %v, want o1, o2", ids(due))
		}
		if m := due[0]; m.From != "" || !slices.Equal(m.To, []string{"alice@example.com"}) || !bytes.Equal(m.Data, mail("o1", t0).Data) || !m.Created.Equal(t0) {
			h.Errorf("queued mail = %+v", m)
		}
		if due, _ := h.b.DueMail(t0, 10); !slices.Equal(ids(due), []string{"o1"}) {
			h.Errorf("DueMail at its creation = %v, want o1", ids(due))
		}
		if next, ok, err := h.b.NextMail(); err != nil || !ok || !next.Equal(t0) {
			h.Errorf("NextMail = %v, %v, %v; want %v", next, ok, err, t0)
		}
	})
	later := t0.Add(time.Hour)
	h.ok(h.b.MailRetry(ctx, "o1", later, "smarthost: 451 try later"))
	h.ok(h.b.MailSent(ctx, "o2"))
	h.both("retried and sent", func() {
		if due, _ := h.b.DueMail(later.Add(-time.Second), 10); len(due) != 0 {
			h.Errorf("DueMail before the retry = %v", ids(due))
		}
		due, err := h.b.DueMail(later, 10)
		h.ok(err)
		if len(due) != 1 || due[0].ID != "o1" || due[0].Attempts != 1 || due[0].Error != "smarthost: 451 try later" || !due[0].NextAttempt.Equal(later) {
			h.Errorf("DueMail at the retry = %+v", due)
		}
		if next, ok, _ := h.b.NextMail(); !ok || !next.Equal(later) {
			h.Errorf("NextMail = %v, %v; want %v", next, ok, later)
		}
	})
	h.ok(h.b.MailSent(ctx, "o1"))
	h.both("all sent", func() {
		if _, ok, err := h.b.NextMail(); err != nil || ok {
			h.Errorf("NextMail of an empty outbox: %v, %v", ok, err)
		}
	})
}

// testDelayNotices: recipients that asked for a delay notice are watched
// until it is queued or no longer needed.
func testDelayNotices(h *harness) {
	m := message("m", 4, 1, t0, priority.Normal)
	for r := range 3 { // not the last: it asks for no delay notice
		m.Recipients[r].Notify |= store.NotifyDelay
	}
	h.enqueue(m)
	h.enqueue(message("other", 1, 1, t0, priority.Normal))
	h.both("enqueued", func() {
		if got, err := h.b.DelayDue(t0, 10); err != nil || len(got) != 0 {
			h.Errorf("DelayDue before the arrival = %v, %v", got, err)
		}
		got, err := h.b.DelayDue(t0.Add(time.Second), 10)
		h.ok(err)
		if fmt.Sprint(got) != fmt.Sprint([]store.RcptKey{rk("m", 0), rk("m", 1), rk("m", 2)}) {
			h.Errorf("DelayDue = %v, want the three recipients that asked", got)
		}
	})
	h.ok(h.b.DelayDone(ctx, rk("m", 0)))
	// A recipient that becomes final leaves the watch by itself.
	_, err := h.b.Finish(ctx, pk("m", 1, 0), store.PartDelivered, "delivered", t0)
	h.ok(err)
	delay := rk("m", 2)
	h.ok(h.b.QueueMail(ctx, &store.OutMail{ID: "notice", To: []string{"alice@example.com"}, Data: []byte("x"), Created: t0}, store.MailFor{Delay: &delay}))
	h.both("done", func() {
		if got, err := h.b.DelayDue(t0.Add(time.Hour), 10); err != nil || len(got) != 0 {
			h.Errorf("DelayDue after the notices = %v, %v", got, err)
		}
	})
}

// testConversations: a mail to a number records where its replies go;
// a reply mail written moves the thread on.
func testConversations(h *harness) {
	m := message("m", 2, 1, t0, priority.Normal)
	h.enqueue(m)
	anon := message("anon", 1, 1, t0, priority.Normal)
	anon.Sender = ""
	anon.Recipients[0].Number = "+41790000099"
	h.enqueue(anon)
	h.both("enqueued", func() {
		for _, rc := range m.Recipients {
			c, ok, err := h.b.Conversation(rc.Number)
			h.ok(err)
			if !ok || c.Sender != m.Sender || c.Subject != m.Subject || c.MessageID != m.MessageID || !c.Updated.Equal(t0) {
				h.Errorf("Conversation(%s) = %+v, %v; want the mail's", rc.Number, c, ok)
			}
		}
		if _, ok, err := h.b.Conversation("+41790000099"); err != nil || ok {
			h.Errorf("a mail from <> records a conversation: %v, %v", ok, err)
		}
	})
	c := store.Conversation{Sender: "bob@example.com", Subject: "Re: x", MessageID: "<r1@gw>", Updated: t0.Add(time.Hour)}
	h.ok(h.b.SetConversation(ctx, m.Recipients[0].Number, c))
	h.both("set", func() {
		got, ok, err := h.b.Conversation(m.Recipients[0].Number)
		h.ok(err)
		if !ok || got.Sender != c.Sender || got.MessageID != c.MessageID || !got.Updated.Equal(c.Updated) {
			h.Errorf("Conversation after SetConversation = %+v, %v", got, ok)
		}
	})
}

// testOptOuts: STOP puts a number on the list with its time, START takes
// it off.
func testOptOuts(h *harness) {
	const a, b = "+41790000001", "+41790000002"
	h.ok(h.b.OptOut(ctx, a, t0))
	h.ok(h.b.OptOut(ctx, b, t0.Add(time.Minute)))
	h.both("opted out", func() {
		for n, at := range map[string]time.Time{a: t0, b: t0.Add(time.Minute)} {
			out, since, err := h.b.OptedOut(n)
			h.ok(err)
			if !out || !since.Equal(at) {
				h.Errorf("OptedOut(%s) = %v, %v; want true, %v", n, out, since, at)
			}
		}
	})
	h.ok(h.b.OptIn(ctx, a))
	h.ok(h.b.OptIn(ctx, "+41790000003"))
	h.both("opted in", func() {
		if out, _, err := h.b.OptedOut(a); err != nil || out {
			h.Errorf("OptedOut after OptIn: %v, %v", out, err)
		}
		if out, _, err := h.b.OptedOut(b); err != nil || !out {
			h.Errorf("another number's opt-out went: %v, %v", out, err)
		}
	})
}

// testBrowseByNumber: the console pages through conversations and
// opt-outs in number order, within a prefix.
func testBrowseByNumber(h *harness) {
	for i := range 5 {
		n := fmt.Sprintf("+4420790000%02d", i)
		h.ok(h.b.SetConversation(ctx, n, store.Conversation{Sender: "ops@example.com", Subject: "s", Updated: t0}))
		h.ok(h.b.OptOut(ctx, n, t0.Add(time.Duration(i)*time.Minute)))
	}
	h.ok(h.b.OptOut(ctx, "+15550100", t0))
	h.ok(h.b.SetConversation(ctx, "+15550100", store.Conversation{Sender: "bob@example.com", Updated: t0}))
	h.both("written", func() {
		var got []string
		after := ""
		for range 10 {
			page, next, err := h.b.Conversations("+44", after, 2)
			h.ok(err)
			if len(page) > 2 {
				h.Errorf("a page of %d conversations, limit 2", len(page))
			}
			for _, c := range page {
				if c.Sender != "ops@example.com" || !c.Updated.Equal(t0) {
					h.Errorf("conversation %+v", c)
				}
				got = append(got, c.Number)
			}
			if next == "" {
				break
			}
			after = next
		}
		if fmt.Sprint(got) != "[+442079000000 +442079000001 +442079000002 +442079000003 +442079000004]" {
			h.Errorf("conversations by page: %v", got)
		}
		all, next, err := h.b.OptOuts("", "", 0)
		h.ok(err)
		if next != "" || len(all) != 6 || all[0].Number != "+15550100" {
			h.Fatalf("OptOuts = %v, %q; want all 6 in number order", all, next)
		}
		if all[3].Number != "+442079000002" || !all[3].Since.Equal(t0.Add(2*time.Minute)) {
			h.Errorf("opt-out %+v", all[3])
		}
		if none, _, err := h.b.OptOuts("+1", "+15550100", 10); err != nil || len(none) != 0 {
			h.Errorf("OptOuts after the last of a prefix = %v, %v", none, err)
		}
	})
	h.ok(h.b.OptIn(ctx, "+442079000000"))
	h.both("one opted in", func() {
		all, _, err := h.b.OptOuts("+44", "", 10)
		h.ok(err)
		if len(all) != 4 || all[0].Number != "+442079000001" {
			h.Errorf("OptOuts after OptIn = %v", all)
		}
	})
}

// testPolicyCounters: the sender policy's counters are one value,
// replaced whole.
func testPolicyCounters(h *harness) {
	h.both("none saved", func() {
		if data, err := h.b.PolicyCounters(); err != nil || data != nil {
			h.Errorf("PolicyCounters of a new store = %q, %v; want nil", data, err)
		}
	})
	h.ok(h.b.SetPolicyCounters(ctx, []byte(`{"alice":{"day":"2026-03-02","n":3}}`)))
	h.ok(h.b.SetPolicyCounters(ctx, []byte(`{"bob":{"day":"2026-03-02","n":1}}`)))
	h.both("saved", func() {
		data, err := h.b.PolicyCounters()
		h.ok(err)
		if string(data) != `{"bob":{"day":"2026-03-02","n":1}}` {
			h.Errorf("PolicyCounters = %q, want the last saved", data)
		}
	})
}

// testSIMQuotas: per-SIM sends by calendar day and month of the day's
// location.
func testSIMQuotas(h *harness) {
	zurich, err := time.LoadLocation("Europe/Zurich")
	h.ok(err)
	day := time.Date(2026, 3, 31, 23, 30, 0, 0, zurich) // 21:30 UTC: still March 31 there
	add := func(sim string, at time.Time, n, wantDay, wantMonth int) {
		h.Helper()
		d, m, err := h.b.QuotaAdd(ctx, sim, at, n)
		h.ok(err)
		if d != wantDay || m != wantMonth {
			h.Errorf("QuotaAdd(%s, %v, %d) = %d, %d; want %d, %d", sim, at, n, d, m, wantDay, wantMonth)
		}
	}
	add("sim-a", day.Add(-24*time.Hour), 2, 2, 2)
	add("sim-a", day, 1, 1, 3)
	add("sim-a", day, 2, 3, 5)
	add("sim-b", day, 1, 1, 1)
	add("sim-a", day.Add(time.Hour), 1, 1, 1) // April 1 in Zurich
	add("sim-a", day, 0, 3, 5)                // n = 0 reads
	if _, _, err := h.b.QuotaAdd(ctx, "", day, 1); !errors.Is(err, store.ErrInvalid) {
		h.Errorf("QuotaAdd without a SIM: %v, want ErrInvalid", err)
	}
	h.both("counted", func() {
		for _, c := range []struct {
			sim          string
			at           time.Time
			wantD, wantM int
		}{
			{"sim-a", day, 3, 5},
			{"sim-a", day.Add(time.Hour), 1, 1},
			{"sim-b", day, 1, 1},
			{"sim-c", day, 0, 0},
		} {
			d, m, err := h.b.QuotaGet(ctx, c.sim, c.at)
			h.ok(err)
			if d != c.wantD || m != c.wantM {
				h.Errorf("QuotaGet(%s, %v) = %d, %d; want %d, %d", c.sim, c.at, d, m, c.wantD, c.wantM)
			}
		}
	})
}

// testCampaigns: campaigns are listed newest first with their pace and
// progress; their parts are first due at the time they were planned for.
func testCampaigns(h *harness) {
	pace := campaign.Pace{Rate: 2.5, Window: campaign.Window{Start: 9 * 60, End: 17 * 60}, Zone: "Europe/Zurich"}
	for i, id := range []string{"c1", "c2"} {
		m := message(id, 2, 1, t0.Add(time.Duration(i)*time.Minute), priority.Bulk)
		m.Campaign = &pace
		m.Recipients[1].Parts[0].NextAttempt = t0.Add(time.Hour)
		h.enqueue(m)
	}
	h.enqueue(message("plain", 1, 1, t0, priority.Normal))
	h.both("enqueued", func() {
		list, err := h.b.Campaigns(10)
		h.ok(err)
		if len(list) != 2 || list[0].ID != "c2" || list[1].ID != "c1" {
			h.Fatalf("Campaigns = %+v, want c2, c1", list)
		}
		if one, err := h.b.Campaigns(1); err != nil || len(one) != 1 || one[0].ID != "c2" {
			h.Errorf("Campaigns(1) = %+v, %v", one, err)
		}
		c, err := h.b.Campaign("c1")
		h.ok(err)
		if c.Pace != pace || c.Recipients != 2 || c.Parts[store.PartQueued] != 2 || c.Sender != "alice@example.com" || !c.Received.Equal(t0) {
			h.Errorf("Campaign(c1) = %+v", c)
		}
		if _, err := h.b.Campaign("plain"); !errors.Is(err, store.ErrNotFound) {
			h.Errorf("Campaign of a plain message: %v, want ErrNotFound", err)
		}
		dps, err := h.b.DueIn(priority.Bulk, t0.Add(30*time.Minute), 10)
		h.ok(err)
		if fmt.Sprint(dueKeys(dps)) != fmt.Sprint([]store.PartKey{pk("c1", 0, 0), pk("c2", 0, 0)}) {
			h.Errorf("DueIn(bulk) = %v, want only the parts planned before now", dueKeys(dps))
		}
		for _, dp := range dps {
			if dp.Campaign == nil || *dp.Campaign != pace {
				h.Errorf("due campaign part without its pace: %+v", dp.Campaign)
			}
		}
	})
	_, err := h.b.Finish(ctx, pk("c1", 0, 0), store.PartDelivered, "delivered", t0)
	h.ok(err)
	h.both("one delivered", func() {
		c, err := h.b.Campaign("c1")
		h.ok(err)
		if c.Parts[store.PartDelivered] != 1 || c.Parts[store.PartQueued] != 1 {
			h.Errorf("Campaign(c1) parts = %v", c.Parts)
		}
	})
}
