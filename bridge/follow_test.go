package bridge

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport/modem"
	"github.com/smsbridge/smsbridge/transport/modem/modemtest"
	"github.com/smsbridge/smsbridge/transport/smpp"
	"github.com/smsbridge/smsbridge/transport/smpp/smsctest"
)

// mixedRig is a gateway with the route ["gsm", "smsc"]: a simulated modem
// with realistic pacing first, the fake SMSC second.
type mixedRig struct {
	modem  *modemtest.Modem
	srv    *smsctest.Server
	g      *Gateway
	st     *store.DB
	mailer *fakeMailer
}

func startMixedRig(t *testing.T, mcfg modem.Config, setup func(*mixedRig)) *mixedRig {
	t.Helper()
	m, err := modemtest.Start(modemtest.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	srv := startSMSC(t, smsctest.Options{ReceiptDelay: 20 * time.Millisecond})
	st, err := store.Open(filepath.Join(t.TempDir(), "q.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	mcfg.Name, mcfg.Devices, mcfg.SendInterval, mcfg.Logger = "gsm", []string{m.Path()}, 150*time.Millisecond, log
	gsm, err := modem.New(mcfg)
	if err != nil {
		t.Fatal(err)
	}
	smsc, err := smpp.New(smpp.Config{Name: "smsc", Address: srv.Addr(), Source: "SMSBRIDGE", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	r := &mixedRig{modem: m, srv: srv, st: st, mailer: newFakeMailer()}
	r.g, err = New(testConfig(), Options{Store: st, Mailer: r.mailer, Logger: log,
		Lanes: []Lane{{Transport: gsm, Slots: 2, MaxInDoubtResends: 1}, {Transport: smsc, Slots: 10, MaxInDoubtResends: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(r)
	}
	runGateway(t, r.g, st)
	waitFor(t, gsm.Up)
	waitFor(t, smsc.Up)
	return r
}

// partsByNumber counts, per number, the parts each way carried: modem
// sends by (number, seq) and SMSC submits by (number, UDH).
func (r *mixedRig) partsByNumber() (viaModem, viaSMSC map[string]map[string]int) {
	viaModem, viaSMSC = map[string]map[string]int{}, map[string]map[string]int{}
	add := func(m map[string]map[string]int, number, part string) {
		if m[number] == nil {
			m[number] = map[string]int{}
		}
		m[number][part]++
	}
	for _, s := range r.modem.Sent() {
		add(viaModem, "+"+strings.TrimPrefix(s.To, "+"), fmt.Sprintf("%d/%d", s.Seq, s.Total))
	}
	for _, s := range r.srv.Submits() {
		add(viaSMSC, "+"+s.Dest, fmt.Sprintf("%x", s.UDH))
	}
	return viaModem, viaSMSC
}

// mailLongAndWait mails a four-part SMS to each of n numbers and waits for
// their reports, which must say delivered.
func (r *mixedRig) mailLongAndWait(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		if _, err := submit(t, r.g, "ops@example.com", []string{fmt.Sprintf("41555501%02d@sms.test", i)},
			"Subject: backup\r\n\r\n"+strings.Repeat(fourParts, 6)+"\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	if got := countContaining(r.reportsOf(t, n), "Subject: Delivered:"); got != n {
		t.Errorf("%d of %d delivered", got, n)
	}
}

const fourParts = "The nightly backup of db1 failed at the verify step; the archive is incomplete. " // ×6: 4 parts

// With the modem paced (one send at a time, 150 ms apart) and only two
// slots, the parts of one message wait for it rather than spill over to
// the SMSC, which has room.
func TestMessageNotSplitByPacing(t *testing.T) {
	t.Parallel()
	r := startMixedRig(t, modem.Config{}, nil)
	r.mailLongAndWait(t, 2)
	viaModem, viaSMSC := r.partsByNumber()
	for i := range 2 {
		number := fmt.Sprintf("+141555501%02d", i)
		m, s := len(viaModem[number]), len(viaSMSC[number])
		if (m != 0 && s != 0) || m+s != 4 {
			t.Errorf("%s: %d parts through the modem, %d through the SMSC; want all 4 one way", number, m, s)
		}
	}
}

// A SIM that cannot send the whole message (its daily limit is nearer than
// the message's parts) sends none of it: the whole message goes through
// the SMSC.
func TestMessageNotSplitByQuota(t *testing.T) {
	t.Parallel()
	r := startMixedRig(t, modem.Config{DailyLimit: 3}, nil)
	if _, err := submit(t, r.g, "ops@example.com", []string{"4155550100@sms.test"}, "Subject: a\r\n\r\nshort one\r\n"); err != nil {
		t.Fatal(err)
	}
	r.reportsOf(t, 1)
	if _, err := submit(t, r.g, "ops@example.com", []string{"4155550101@sms.test"},
		"Subject: backup\r\n\r\n"+strings.Repeat(fourParts, 6)+"\r\n"); err != nil {
		t.Fatal(err)
	}
	reports := r.reportsOf(t, 2)
	if !strings.Contains(reports[1], "Subject: Delivered:") {
		t.Errorf("report:\n%s", reports[1])
	}
	viaModem, viaSMSC := r.partsByNumber()
	if m, s := len(viaModem["+14155550101"]), len(viaSMSC["+14155550101"]); m != 0 || s != 4 {
		t.Errorf("%d parts through the modem, %d through the SMSC; want all 4 through the SMSC", m, s)
	}
}

func (r *mixedRig) reportsOf(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for _, m := range r.mailer.wait(t, n) {
		out = append(out, string(m.Data))
	}
	return out
}

// The modem is lost after two parts of a message went out through it and
// stays down: the whole message, those two parts included, goes again
// through the SMSC, and the report says so.
func TestMessageMovedWholeWhenItsTransportStaysDown(t *testing.T) {
	t.Parallel()
	r := startMixedRig(t, modem.Config{}, func(r *mixedRig) {
		r.g.dispatch.moveAfter = 300 * time.Millisecond
		r.modem.VanishOnSend(3)
	})
	if _, err := submit(t, r.g, "ops@example.com", []string{"4155550100@sms.test"},
		"Subject: backup\r\n\r\n"+strings.Repeat(fourParts, 6)+"\r\n"); err != nil {
		t.Fatal(err)
	}
	report := r.reportsOf(t, 1)[0]
	if !strings.Contains(report, "Subject: Delivered:") || !strings.Contains(report, "sent again through smsc") {
		t.Errorf("report:\n%s", report)
	}
	viaModem, viaSMSC := r.partsByNumber()
	if m, s := len(viaModem["+14155550100"]), len(viaSMSC["+14155550100"]); m != 2 || s != 4 {
		t.Errorf("%d parts through the modem, %d through the SMSC; want 2 (the third vanished with the modem) and then all 4", m, s)
	}
}

// The same rule for a modem: a +CMGS that times out is in doubt; the part
// is sent again once (max_in_doubt_resends = 1), and when that send times
// out too it fails with a report saying the phone may have it.
func TestModemSendInDoubtResentOnce(t *testing.T) {
	t.Parallel()
	r := startMixedRig(t, modem.Config{SendTimeout: 300 * time.Millisecond}, func(r *mixedRig) {
		r.modem.IgnoreSend(1)
		r.modem.IgnoreSend(3)
		r.modem.IgnoreSend(4)
	})
	for i := range 2 {
		if _, err := submit(t, r.g, "ops@example.com", []string{fmt.Sprintf("41555501%02d@sms.test", i)},
			fmt.Sprintf("Subject: s\r\n\r\nshort %d\r\n", i)); err != nil {
			t.Fatal(err)
		}
		r.reportsOf(t, i+1) // one after the other: the modem counts sends
	}
	reports := r.reportsOf(t, 2)
	if !strings.Contains(reports[0], "Subject: Delivered:") || !strings.Contains(reports[0], "may have reached the phone twice") {
		t.Errorf("first: one send in doubt, then delivered:\n%s", reports[0])
	}
	if !strings.Contains(reports[1], "the phone may have received it") {
		t.Errorf("second: two sends in doubt:\n%s", reports[1])
	}
	if n := len(r.srv.Submits()); n != 0 {
		t.Errorf("%d parts went to the SMSC", n)
	}
}

// Two long messages compete for a SIM with room for only one of them:
// each reaches its phone complete through one transport, whichever the
// order of their parts; the SIM never goes over its limit.
func TestMessagesNotSplitWhenTheSIMFillsUp(t *testing.T) {
	t.Parallel()
	r := startMixedRig(t, modem.Config{DailyLimit: 6}, nil)
	r.mailLongAndWait(t, 2)
	viaModem, viaSMSC := r.partsByNumber()
	for i := range 2 {
		number := fmt.Sprintf("+141555501%02d", i)
		if len(viaModem[number]) != 4 && len(viaSMSC[number]) != 4 {
			t.Errorf("%s: parts %v through the modem, %v through the SMSC; want all 4 one way", number, viaModem[number], viaSMSC[number])
		}
	}
	if n := len(r.modem.Sent()); n > 6 {
		t.Errorf("the modem sent %d with a daily limit of 6", n)
	}
}
