package modem

import (
	"errors"
	"testing"

	"github.com/warthog618/modem/at"

	"github.com/smsbridge/smsbridge/transport"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		err                error
		permanent, inDoubt bool
	}{
		{at.ErrDeadlineExceeded, false, true},
		{at.ErrClosed, false, true},
		{errLost, false, true},
		{at.ErrError, false, false},
		{at.CMSError("1"), true, false},    // unassigned number
		{at.CMSError("21"), true, false},   // transfer rejected
		{at.CMSError("38"), false, false},  // network out of order
		{at.CMSError("42"), false, false},  // congestion
		{at.CMSError("135"), true, false},  // telematic interworking range
		{at.CMSError("165"), true, false},  // data coding range
		{at.CMSError("192"), false, false}, // SC busy
		{at.CMSError("304"), true, false},  // invalid PDU parameter
		{at.CMSError("310"), false, false}, // SIM not inserted
		{at.CMSError("331"), false, false}, // no network service
		{at.CMSError("500"), false, false}, // unknown
		{at.CMSError("not a number"), false, false},
		{at.CMEError("11"), false, false}, // SIM PIN required
		{errors.New("odd"), false, false},
	}
	for _, c := range cases {
		got := classify(c.err)
		if transport.IsPermanent(got) != c.permanent || transport.IsInDoubt(got) != c.inDoubt || !errors.Is(got, c.err) {
			t.Errorf("classify(%v) = %v; permanent %v in doubt %v", c.err, got, c.permanent, c.inDoubt)
		}
	}
}

func TestReportState(t *testing.T) {
	cases := map[byte]transport.ReceiptState{
		0x00: transport.StateDelivered, 0x01: transport.StateAccepted, 0x02: transport.StateDelivered,
		0x03: transport.StateUnknown, 0x20: transport.StateEnroute, 0x25: transport.StateEnroute,
		0x40: transport.StateUndeliverable, 0x41: transport.StateRejected, 0x46: transport.StateExpired,
		0x47: transport.StateDeleted, 0x48: transport.StateDeleted, 0x60: transport.StateUndeliverable,
		0x65: transport.StateUndeliverable, 0x80: transport.StateUnknown,
	}
	for st, want := range cases {
		if got := reportState(st); got != want {
			t.Errorf("reportState(0x%02x) = %v, want %v", st, got, want)
		}
	}
}

func TestReportID(t *testing.T) {
	// A report gives the recipient back in any form; the id must not change.
	sent := reportID("001010000000001", 5, "+447700900123")
	for _, back := range []string{"447700900123", "07700900123", "+44 7700 900123"} {
		if got := reportID("001010000000001", 5, back); got != sent {
			t.Errorf("report to %q: id %q, sent as %q", back, got, sent)
		}
	}
	for _, other := range []string{
		reportID("001010000000001", 6, "+447700900123"), // another reference
		reportID("001010000000001", 5, "+447700900456"), // another number
		reportID("001010000000002", 5, "+447700900123"), // another SIM
	} {
		if other == sent {
			t.Errorf("%q names two sends", sent)
		}
	}
	if got := reportID("sim", 7, "12345"); got != "sim:7:12345" {
		t.Errorf("short code: %q", got)
	}
}

func TestParsers(t *testing.T) {
	if mr, err := parseCMGS([]string{`+CMTI: "SM",1`, "+CMGS: 17"}); err != nil || mr != 17 {
		t.Errorf("parseCMGS = %d, %v", mr, err)
	}
	for _, bad := range [][]string{nil, {"+CMGS: 256"}, {"+CMGS: x"}} {
		if _, err := parseCMGS(bad); err == nil {
			t.Errorf("parseCMGS(%q) accepted", bad)
		}
	}
	if mem, idx, err := parseCMTI(`+CMTI: "SM",12`); err != nil || mem != "SM" || idx != 12 {
		t.Errorf("parseCMTI = %q %d %v", mem, idx, err)
	}
	list, err := parseListing([]string{"+CMGL: 1,0,,23", "0011", "+CREG: 1", "+CMGL: 4,1,,30", "0022"}, "+CMGL:")
	if err != nil || len(list) != 2 || list[0] != (stored{1, "0011"}) || list[1] != (stored{4, "0022"}) {
		t.Errorf("parseListing = %+v, %v", list, err)
	}
	if _, err := parseListing([]string{"+CMGR: 0,,23"}, "+CMGR:"); err == nil {
		t.Error("a +CMGR header without its PDU was accepted")
	}
	if n, err := parseCSQ([]string{"+CSQ: 31,99"}); err != nil || n != 31 {
		t.Errorf("parseCSQ = %d %v", n, err)
	}
	if reg, err := parseCREG([]string{"+CREG: 0,5"}); err != nil || reg != "roaming" {
		t.Errorf("parseCREG = %q %v", reg, err)
	}
	if s, err := parseCPIN([]string{"+CPIN: SIM PIN"}); err != nil || s != "SIM PIN" {
		t.Errorf("parseCPIN = %q %v", s, err)
	}
	if mt, ds, err := parseCNMI([]string{"", "+CNMI: 1,0,0,0,0"}); err != nil || mt != 0 || ds != 0 {
		t.Errorf("parseCNMI = %d,%d %v", mt, ds, err)
	}
	if mt, ds, err := parseCNMI([]string{"+CNMI: 2,2,0,1,0"}); err != nil || mt != 2 || ds != 1 {
		t.Errorf("parseCNMI = %d,%d %v", mt, ds, err)
	}
	for _, bad := range []string{"+CNMI: 1,2", "+CNMI: 1,a,0,1,0", "OK"} {
		if _, _, err := parseCNMI([]string{bad}); err == nil {
			t.Errorf("parseCNMI(%q) took it", bad)
		}
	}
	if n := parseCNUM([]string{`+CNUM: "Own","+447700900999",145`}); n != "+447700900999" {
		t.Errorf("parseCNUM = %q", n)
	}
}
