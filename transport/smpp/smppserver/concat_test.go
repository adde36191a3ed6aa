package smppserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/policy"
	"github.com/smsbridge/smsbridge/transport"
	"github.com/smsbridge/smsbridge/transport/simulator"
	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

const dest = "+14155550100"

// withSim runs su with a simulator the test can look into.
func withSim(su setup) (setup, **simulator.Simulator) {
	var sim *simulator.Simulator
	su.lanes = func(log *slog.Logger) []bridge.Lane {
		sim = simulator.New(simulator.Config{Name: "simulator", Delay: 10 * time.Millisecond, Logger: log})
		return []bridge.Lane{{Transport: sim, Slots: 4}}
	}
	return su, &sim
}

// sentText waits until the simulator has sent parts that join to want,
// and returns those parts.
func sentText(t *testing.T, sim *simulator.Simulator, want string) []transport.Part {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		parts := sim.Sent()
		slices.SortFunc(parts, func(a, b transport.Part) int { return a.Seq - b.Seq })
		var got strings.Builder
		for _, p := range parts {
			got.WriteString(p.Text)
		}
		if got.String() == want {
			return parts
		}
		if time.Now().After(deadline) {
			t.Fatalf("sent %q, want %q", got.String(), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// udhSegment is segment seq of total of reference ref, in GSM 7-bit.
func udhSegment(ref byte, seq, total int, text string) *pdu.SM {
	body := append([]byte{5, 0, 3, ref, byte(total), byte(seq)}, text...)
	return &pdu.SM{Source: "12345", Dest: dest, ESMClass: esmUDHI, RegisteredDelivery: 1, ShortMessage: body}
}

// receiptStats waits for n receipts and returns their stat by id.
func receiptStats(e *rawESME, n int) map[string]string {
	out := map[string]string{}
	for _, sm := range e.deliveries(n) {
		id, stat := receiptOf(sm)
		out[id] = stat
	}
	return out
}

// TestConcatenatedSubmit: three UDH segments, out of order and one sent
// twice, become one message, split again as the gateway splits; the
// repeat is answered with the first's id; each segment's id gets the
// message's receipt.
func TestConcatenatedSubmit(t *testing.T) {
	su, sim := withSim(setup{path: filepath.Join(t.TempDir(), "q.db")})
	r := launch(t, su)
	e := dialESME(t, r.addr, pdu.BindTransceiver)
	texts := []string{strings.Repeat("a", 100), strings.Repeat("b", 100), " and the end"}
	ids := make([]string, 3)
	for _, seq := range []int{2, 1} {
		st, id := e.submit(udhSegment(42, seq, 3, texts[seq-1]))
		if st != pdu.StatusOK || id == "" {
			t.Fatalf("segment %d: %s %q", seq, pdu.StatusString(st), id)
		}
		ids[seq-1] = id
	}
	if st, id := e.submit(udhSegment(42, 2, 3, texts[1])); st != pdu.StatusOK || id != ids[1] {
		t.Fatalf("segment 2 again: %s %q, want ESME_ROK %q", pdu.StatusString(st), id, ids[1])
	}
	if sets, _ := r.st.StaleSegments(time.Now().Add(time.Hour), 10); len(sets) != 1 || len(sets[0].Segments) != 2 {
		t.Fatalf("before the last segment: %+v", sets)
	}
	st, id := e.submit(udhSegment(42, 3, 3, texts[2]))
	if st != pdu.StatusOK {
		t.Fatalf("segment 3: %s", pdu.StatusString(st))
	}
	ids[2] = id
	parts := sentText(t, *sim, strings.Join(texts, ""))
	if len(parts) != 2 {
		t.Errorf("%d parts sent, want the gateway's 2", len(parts))
	}
	got := receiptStats(e, 3)
	for i, id := range ids {
		if got[id] != "DELIVRD" {
			t.Errorf("segment %d (%s): receipt %q; receipts %v", i+1, id, got[id], got)
		}
	}
	if st, again := e.submit(udhSegment(42, 3, 3, texts[2])); st != pdu.StatusOK || again != ids[2] {
		t.Errorf("segment 3 again after the message was queued: %s %q, want %q", pdu.StatusString(st), again, ids[2])
	}
	time.Sleep(200 * time.Millisecond)
	if n := len((*sim).Sent()); n != 2 {
		t.Errorf("%d parts sent after the repeat, want still 2", n)
	}
}

// TestConcatenatedSARUCS2: SAR segments in UCS-2 with a surrogate pair cut
// between them are joined before they are decoded.
func TestConcatenatedSARUCS2(t *testing.T) {
	su, sim := withSim(setup{path: filepath.Join(t.TempDir(), "q.db")})
	r := launch(t, su)
	e := dialESME(t, r.addr, pdu.BindTransmitter)
	bodies := [][]byte{{0x00, 'A', 0xd8, 0x3d}, {0xde, 0x00, 0x00, 'B'}}
	for i, b := range bodies {
		sm := &pdu.SM{Dest: dest, DataCoding: codingUCS2, ShortMessage: b, TLVs: []pdu.TLV{
			pdu.Uint16TLV(pdu.TagSARMsgRefNum, 0x0102), pdu.Uint8TLV(pdu.TagSARTotalSegments, 2), pdu.Uint8TLV(pdu.TagSARSegmentSeqnum, uint8(i+1))}}
		if st, _ := e.submit(sm); st != pdu.StatusOK {
			t.Fatalf("segment %d: %s", i+1, pdu.StatusString(st))
		}
	}
	sentText(t, *sim, "A😀B")
}

// TestConcatenatedSurvivesRestart: segments stored before a restart are
// joined with the one sent after it, and every segment gets its receipt.
func TestConcatenatedSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	su, _ := withSim(setup{path: path})
	r := launch(t, su)
	e := dialESME(t, r.addr, pdu.BindTransceiver)
	var ids []string
	for seq := 1; seq <= 2; seq++ {
		st, id := e.submit(udhSegment(7, seq, 3, "part"+string(rune('0'+seq))+" "))
		if st != pdu.StatusOK {
			t.Fatalf("segment %d: %s", seq, pdu.StatusString(st))
		}
		ids = append(ids, id)
	}
	e.c.Close()
	r.stop()

	su, sim := withSim(setup{path: path})
	r = launch(t, su)
	e = dialESME(t, r.addr, pdu.BindTransceiver)
	st, id := e.submit(udhSegment(7, 3, 3, "part3"))
	if st != pdu.StatusOK {
		t.Fatalf("segment 3 after the restart: %s", pdu.StatusString(st))
	}
	ids = append(ids, id)
	sentText(t, *sim, "part1 part2 part3")
	got := receiptStats(e, 3)
	for _, id := range ids {
		if got[id] != "DELIVRD" {
			t.Errorf("receipt of %s: %q (all %v)", id, got[id], got)
		}
	}
}

// TestConcatenatedExpires: a set not complete in time is given up: its
// stored segment gets an EXPIRED receipt, nothing is sent, and the set is
// forgotten.
func TestConcatenatedExpires(t *testing.T) {
	su, sim := withSim(setup{path: filepath.Join(t.TempDir(), "q.db"), options: func(o *Options) { o.SegmentTTL = 300 * time.Millisecond }})
	r := launch(t, su)
	e := dialESME(t, r.addr, pdu.BindTransceiver)
	st, id := e.submit(udhSegment(9, 1, 2, "only the first"))
	if st != pdu.StatusOK {
		t.Fatal(pdu.StatusString(st))
	}
	if got := receiptStats(e, 1); got[id] != "EXPIRED" {
		t.Errorf("receipts %v, want %s EXPIRED", got, id)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		sets, err := r.st.StaleSegments(time.Now().Add(time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(sets) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("set kept: %+v", sets)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if sent := (*sim).Sent(); len(sent) != 0 {
		t.Errorf("sent %+v", sent)
	}
}

// heldGateway holds every SendFollowed until release is closed.
type heldGateway struct {
	Gateway
	entered chan struct{}
	release chan struct{}
}

func (h heldGateway) SendFollowed(ctx context.Context, source string, numbers []string, text string, f bridge.Followed) (string, error) {
	h.entered <- struct{}{}
	<-h.release
	return h.Gateway.SendFollowed(ctx, source, numbers, text, f)
}

// TestWindow: a bind has at most window submit_sm unanswered; one more is
// answered ESME_RTHROTTLED at once, and enquire_link still is answered.
func TestWindow(t *testing.T) {
	held := heldGateway{entered: make(chan struct{}, 4), release: make(chan struct{})}
	r := launch(t, setup{path: filepath.Join(t.TempDir(), "q.db"), options: func(o *Options) { o.Window = 2 },
		gateway: func(g Gateway) Gateway { held.Gateway = g; return held }})
	e := dialESME(t, r.addr, pdu.BindTransmitter)
	body, _ := (&pdu.SM{Dest: dest, ShortMessage: []byte("hi")}).Encode()
	first, second := e.send(pdu.SubmitSM, body), e.send(pdu.SubmitSM, body)
	<-held.entered
	<-held.entered
	if p := e.call(pdu.SubmitSM, body); p.Status != pdu.StatusThrottled {
		t.Errorf("third submit_sm in a window of 2: %s, want ESME_RTHROTTLED", pdu.StatusString(p.Status))
	}
	if p := e.call(pdu.EnquireLink, nil); p.Status != pdu.StatusOK {
		t.Errorf("enquire_link with the window full: %s", pdu.StatusString(p.Status))
	}
	close(held.release)
	answers := map[uint32]uint32{} // in either order
	for len(answers) < 2 {
		if p := e.read(10 * time.Second); p.ID == pdu.SubmitSMResp {
			answers[p.Seq] = p.Status
		}
	}
	if answers[first] != pdu.StatusOK || answers[second] != pdu.StatusOK {
		t.Errorf("held submits answered %v", answers)
	}
	if p := e.call(pdu.SubmitSM, body); p.Status != pdu.StatusOK {
		t.Errorf("submit_sm once the window is free: %s", pdu.StatusString(p.Status))
	}
}

// TestUserLimits: the ESME's user limits: over mails_per_minute
// ESME_RTHROTTLED, over parts_per_day ESME_RMSGQFUL, a concatenated
// message counted once and by the gateway's parts.
func TestUserLimits(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limits policy.Limits
		want   uint32
	}{
		{"MailsPerMinute", policy.Limits{MailsPerMinute: 2}, pdu.StatusThrottled},
		{"PartsPerDay", policy.Limits{PartsPerDay: 3}, pdu.StatusMsgQFul},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pol, err := policy.New(policy.Config{Users: map[string]policy.User{"esme": {Limits: tc.limits}}})
			if err != nil {
				t.Fatal(err)
			}
			r := launch(t, setup{path: filepath.Join(t.TempDir(), "q.db"), policy: pol,
				options: func(o *Options) { o.AllowUser = pol.AllowUserSend }})
			e := dialESME(t, r.addr, pdu.BindTransmitter)
			// Two segments of one short message: one mail, one part.
			for seq := 1; seq <= 2; seq++ {
				if st, _ := e.submit(udhSegment(1, seq, 2, "half ")); st != pdu.StatusOK {
					t.Fatalf("segment %d: %s", seq, pdu.StatusString(st))
				}
			}
			long := &pdu.SM{Dest: dest, ShortMessage: []byte(strings.Repeat("x", 200))} // two parts
			if st, _ := e.submit(long); st != pdu.StatusOK {
				t.Fatalf("second message: %s", pdu.StatusString(st))
			}
			if st, _ := e.submit(long); st != tc.want {
				t.Errorf("third message: %s, want %s", pdu.StatusString(st), pdu.StatusString(tc.want))
			}
		})
	}
}

// TestSourceAddr: source_addr becomes the SMS sender where the user may
// use it, international numbers with their '+'; none gives the default,
// another is refused with ESME_RINVSRCADR.
func TestSourceAddr(t *testing.T) {
	allowed := []string{"ACME", "+14155550123"}
	su, sim := withSim(setup{path: filepath.Join(t.TempDir(), "q.db"), options: func(o *Options) {
		o.Source = func(user, from string) (string, error) {
			switch {
			case user != "esme":
				return "", errors.New("unknown user")
			case from == "":
				return "DEFAULT", nil
			case slices.Contains(allowed, from):
				return from, nil
			}
			return "", errors.New("not allowed")
		}
	}})
	r := launch(t, su)
	e := dialESME(t, r.addr, pdu.BindTransmitter)
	for _, tc := range []struct {
		ton       byte
		src, want string
		status    uint32
	}{
		{5, "ACME", "ACME", pdu.StatusOK},
		{1, "14155550123", "+14155550123", pdu.StatusOK},
		{0, "", "DEFAULT", pdu.StatusOK},
		{5, "EVIL", "", pdu.StatusInvSrcAdr},
	} {
		st, _ := e.submit(&pdu.SM{SourceTON: tc.ton, Source: tc.src, Dest: dest, ShortMessage: []byte("from " + tc.src + ".")})
		if st != tc.status {
			t.Errorf("source_addr %q: %s, want %s", tc.src, pdu.StatusString(st), pdu.StatusString(tc.status))
			continue
		}
		if tc.status != pdu.StatusOK {
			continue
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			i := slices.IndexFunc((*sim).Sent(), func(p transport.Part) bool { return p.Text == "from "+tc.src+"." })
			if i >= 0 {
				if got := (*sim).Sent()[i].Source; got != tc.want {
					t.Errorf("source_addr %q sent from %q, want %q", tc.src, got, tc.want)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("source_addr %q: nothing sent", tc.src)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// moSim is a simulator that also hears SMS from phones, handing each to
// the gateway and reporting what its done said.
type moSim struct {
	*simulator.Simulator
	in   chan transport.Inbound
	done chan error
}

func (m *moSim) Run(ctx context.Context, h transport.Handler) error {
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case in := <-m.in:
				h.HandleInbound(in, func(err error) { m.done <- err })
			}
		}
	}()
	return m.Simulator.Run(ctx, h)
}

// TestMOToReceiver: an SMS from a phone to an ESME's number is stored, and
// delivered as deliver_sm to the ESME bound as receiver, again on its next
// bind when the first was not acknowledged, and then no more.
func TestMOToReceiver(t *testing.T) {
	mo := &moSim{in: make(chan transport.Inbound), done: make(chan error, 1)}
	path := filepath.Join(t.TempDir(), "q.db")
	su := setup{path: path,
		options: func(o *Options) {
			o.Inbox = func(to string) (string, bool) { return "esme", strings.HasPrefix(to, "+4479") }
		},
		lanes: func(log *slog.Logger) []bridge.Lane {
			mo.Simulator = simulator.New(simulator.Config{Name: "simulator", Logger: log})
			return []bridge.Lane{{Transport: mo, Slots: 1}}
		}}
	r := launch(t, su)
	mo.in <- transport.Inbound{Transport: "simulator", From: "+14155550199", To: "+447900123456", Text: "Grüße, ça va? 👋", Received: time.Now()}
	if err := <-mo.done; err != nil {
		t.Fatalf("the gateway did not keep the SMS: %v", err)
	}
	e := dialESME(t, r.addr, pdu.BindReceiver)
	e.ack = false
	sm := e.deliveries(1)[0]
	if sm.Source != "14155550199" || sm.SourceTON != 1 || sm.Dest != "447900123456" || sm.DataCoding != codingUCS2 || sm.ESMClass != 0 {
		t.Errorf("deliver_sm %+v", sm)
	}
	if text, _ := decodeBody(sm.DataCoding, sm.ShortMessage); text != "Grüße, ça va? 👋" {
		t.Errorf("text %q", text)
	}
	e.c.Close()
	// Not acknowledged: it comes again on the next bind, here after a restart.
	r.stop()
	r = launch(t, su)
	e = dialESME(t, r.addr, pdu.BindTransceiver)
	if sm := e.deliveries(1)[0]; !strings.HasPrefix(sm.Dest, "4479") {
		t.Errorf("again: %+v", sm)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		left, err := r.st.DueCallbacks(watchOwner+":esme", time.Now().Add(time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("acknowledged SMS still queued: %+v", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Another number is no ESME's: it is not queued for one.
	mo.in <- transport.Inbound{Transport: "simulator", From: "+14155550199", To: "+14155550000", Text: "to mail"}
	<-mo.done
	if left, _ := r.st.DueCallbacks(watchOwner+":esme", time.Now().Add(time.Hour), 10); len(left) != 0 {
		t.Errorf("queued for the ESME: %+v", left)
	}
}

// TestMOToTwoReceivers: with two receiver binds of one ESME, each SMS
// from a phone is delivered once, on one of them.
func TestMOToTwoReceivers(t *testing.T) {
	mo := &moSim{in: make(chan transport.Inbound), done: make(chan error, 1)}
	r := launch(t, setup{path: filepath.Join(t.TempDir(), "q.db"),
		options: func(o *Options) { o.Inbox = func(to string) (string, bool) { return "esme", true } },
		lanes: func(log *slog.Logger) []bridge.Lane {
			mo.Simulator = simulator.New(simulator.Config{Name: "simulator", Logger: log})
			return []bridge.Lane{{Transport: mo, Slots: 1}}
		}})
	a, b := dialESME(t, r.addr, pdu.BindReceiver), dialESME(t, r.addr, pdu.BindReceiver)
	const n = 6
	for i := range n {
		mo.in <- transport.Inbound{Transport: "simulator", From: "+14155550199", To: "12345", Text: fmt.Sprintf("sms %d", i)}
		if err := <-mo.done; err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for _, e := range []*rawESME{a, b} {
		wg.Go(func() { e.drain(3 * time.Second) })
	}
	wg.Wait()
	seen := map[string]int{}
	for _, sm := range append(a.delived, b.delived...) {
		seen[string(sm.ShortMessage)]++
	}
	if len(seen) != n {
		t.Errorf("%d distinct SMS delivered, want %d: %v", len(seen), n, seen)
	}
	for text, k := range seen {
		if k != 1 {
			t.Errorf("%q delivered %d times", text, k)
		}
	}
}
