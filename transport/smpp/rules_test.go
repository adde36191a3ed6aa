package smpp

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/transport"
	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

func TestParseReceipt(t *testing.T) {
	t.Parallel()
	done := time.Date(2024, 3, 5, 14, 7, 0, 0, time.UTC)
	tests := []struct {
		in    string
		id    string
		state transport.ReceiptState
		err   string
		done  time.Time
		bad   bool
	}{
		{in: "id:0123456789 sub:001 dlvrd:001 submit date:2403051406 done date:2403051407 stat:DELIVRD err:000 text:Hello",
			id: "0123456789", state: transport.StateDelivered, err: "000", done: done},
		{in: "ID:abc STAT:undeliv ERR:034", id: "abc", state: transport.StateUndeliverable, err: "034"},
		{in: "stat:EXPIRED err:001 id:77 done_date:240305140700", id: "77", state: transport.StateExpired, err: "001", done: done},
		{in: "id:5 stat:REJECTD", id: "5", state: transport.StateRejected},
		{in: "id:5 stat:WHATEVER", id: "5", state: transport.StateUnknown},
		{in: "id:6 stat:ACCEPTD text:id:9 stat:DELIVRD", id: "6", state: transport.StateAccepted},
		{in: "id:7", id: "7", state: transport.StateUnknown},
		{in: "hello world", bad: true},
		{in: "", bad: true},
	}
	for _, tt := range tests {
		r, err := ParseReceipt(tt.in)
		if tt.bad {
			if !errors.Is(err, ErrNotReceipt) {
				t.Errorf("%q: err = %v, want ErrNotReceipt", tt.in, err)
			}
			continue
		}
		if err != nil || r.ID != tt.id || r.State != tt.state || r.Err != tt.err || !r.DoneDate.Equal(tt.done) {
			t.Errorf("%q: got %+v, %v", tt.in, r, err)
		}
	}
}

func TestStatusClassification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status    uint32
		permanent bool
		text      string
	}{
		{0x58, false, "0x00000058 ESME_RTHROTTLED"},
		{0x14, false, "0x00000014 ESME_RMSGQFUL"},
		{0x08, false, "0x00000008 ESME_RSYSERR"},
		{0x64, false, "0x00000064 ESME_RX_T_APPN"},
		{0x45, false, "0x00000045 ESME_RSUBMITFAIL"},
		{0x0B, true, "0x0000000B ESME_RINVDSTADR"},
		{0x0A, true, "0x0000000A ESME_RINVSRCADR"},
		{0x01, true, "0x00000001 ESME_RINVMSGLEN"},
		{0x61, true, "0x00000061 ESME_RINVSCHED"},
		{0x0400, false, "0x00000400"},
	}
	for _, tt := range tests {
		err := statusError(tt.status)
		var te *transport.Error
		if !errors.As(err, &te) || transport.IsPermanent(err) != tt.permanent || te.Status != tt.text || te.InDoubt {
			t.Errorf("status 0x%X: %v", tt.status, err)
		}
	}
}

func TestSourceAddr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       string
		ton, npi byte
		addr     string
		bad      bool
	}{
		{"SMSBRIDGE", 5, 0, "SMSBRIDGE", false},
		{"12345", 3, 0, "12345", false},
		{"12345678", 3, 0, "12345678", false},
		{"123456789", 1, 1, "123456789", false},
		{"+14155550100", 1, 1, "14155550100", false},
		{"", 0, 0, "", false},
		{"TooLongSenderID", 0, 0, "", true},
		{"+1415x", 0, 0, "", true},
	}
	for _, tt := range tests {
		ton, npi, addr, err := sourceAddr(tt.in)
		if (err != nil) != tt.bad || (!tt.bad && (ton != tt.ton || npi != tt.npi || addr != tt.addr)) {
			t.Errorf("%q: %d %d %q %v", tt.in, ton, npi, addr, err)
		}
	}
}

func TestSubmitLongModes(t *testing.T) {
	t.Parallel()
	part := &transport.Part{To: "+441234567890", Encoding: sms.GSM7, Payload: []byte{0x48, 0x69}, Ref: 9, Seq: 2, Total: 3}
	decode := func(long string) *pdu.SM {
		t.Helper()
		cfg := Config{Long: long, Source: "+15550001111"}
		body, err := buildSubmit(&cfg, part)
		if err != nil {
			t.Fatal(err)
		}
		sm, err := pdu.DecodeSM(body)
		if err != nil {
			t.Fatal(err)
		}
		return sm
	}
	if sm := decode("udh"); sm.ESMClass != 0x40 || !bytes.Equal(sm.ShortMessage, append(sms.UDH(9, 2, 3), 0x48, 0x69)) || sm.SourceTON != 1 {
		t.Errorf("udh: %+v", sm)
	}
	sm := decode("sar")
	ref, _ := sm.TLV(pdu.TagSARMsgRefNum)
	tot, _ := sm.TLV(pdu.TagSARTotalSegments)
	seq, _ := sm.TLV(pdu.TagSARSegmentSeqnum)
	if sm.ESMClass != 0 || !bytes.Equal(ref, []byte{0, 9}) || !bytes.Equal(tot, []byte{3}) || !bytes.Equal(seq, []byte{2}) {
		t.Errorf("sar: %+v", sm)
	}
	sm = decode("payload")
	pl, _ := sm.TLV(pdu.TagMessagePayload)
	if len(sm.ShortMessage) != 0 || !bytes.Equal(pl, append(sms.UDH(9, 2, 3), 0x48, 0x69)) {
		t.Errorf("payload: %+v", sm)
	}

	big := &transport.Part{To: "+441234567890", Encoding: sms.UCS2, Payload: make([]byte, 250), Ref: 1, Seq: 1, Total: 2}
	cfg := Config{Long: "udh"}
	if _, err := buildSubmit(&cfg, big); !transport.IsPermanent(err) || !errors.Is(err, pdu.ErrTooBig) {
		t.Errorf("oversized: %v, want permanent ErrTooBig", err)
	}
	bad := &transport.Part{To: "not a number", Payload: []byte{1}}
	if _, err := buildSubmit(&cfg, bad); !transport.IsPermanent(err) {
		t.Errorf("bad destination: %v, want permanent", err)
	}
}

func TestIDMatcher(t *testing.T) {
	t.Parallel()
	tests := []struct {
		format   string
		issued   []string
		receipt  string
		want     string
		resolved bool
	}{
		{"auto", []string{"A0000"}, "a0000", "A0000", true},
		{"auto", []string{"A0000"}, "655360", "A0000", true},
		{"auto", []string{"655360"}, "a0000", "655360", true},
		{"auto", []string{"0000123"}, "123", "0000123", true},
		{"auto", []string{"10", "16"}, "16", "16", true},
		{"hex", []string{"10", "16"}, "16", "10", true},
		{"dec", []string{"26"}, "1a", "26", true},
		{"auto", nil, "123", "123", false},
		{"hex", []string{"ABC"}, "4096", "1000", false},
		{"dec", nil, "ff", "255", false},
	}
	for _, tt := range tests {
		m := newIDMatcher(tt.format)
		for _, id := range tt.issued {
			m.issued(id)
		}
		got, ok := m.resolve(tt.receipt)
		if !ok {
			got = m.fallback(tt.receipt)
		}
		if ok != tt.resolved || got != tt.want {
			t.Errorf("%s %v %q: got %q %v, want %q %v", tt.format, tt.issued, tt.receipt, got, ok, tt.want, tt.resolved)
		}
	}
	// In auto mode a conversion seen once is applied to unmatched ids.
	m := newIDMatcher("auto")
	m.issued("FF")
	m.resolve("255")
	if got := m.fallback("4096"); got != "1000" {
		t.Errorf("learned fallback = %q, want 1000", got)
	}
}

func TestReceiptTLVsWin(t *testing.T) {
	t.Parallel()
	sm := &pdu.SM{ESMClass: 4, ShortMessage: []byte("id:999 stat:UNDELIV err:001"), TLVs: []pdu.TLV{
		{Tag: pdu.TagReceiptedMessageID, Value: []byte("ab12\x00")},
		pdu.Uint8TLV(pdu.TagMessageState, 2),
	}}
	r, id, err := receiptOf(sm)
	if err != nil || id != "ab12" || r.State != transport.StateDelivered || r.ErrorCode != "001" {
		t.Errorf("got %+v %q %v", r, id, err)
	}
	if _, _, err := receiptOf(&pdu.SM{ESMClass: 4, ShortMessage: []byte("garbage")}); err == nil {
		t.Error("garbage receipt accepted")
	}
}

func TestReassemblerExpires(t *testing.T) {
	t.Parallel()
	r := newReassembler(time.Minute)
	now := time.Now()
	sm := &pdu.SM{SourceTON: 1, Source: "4412", ESMClass: 0x40, ShortMessage: append(sms.UDH(3, 1, 2), 'a', 'b')}
	if _, done := r.add(sm, now); done {
		t.Fatal("one part of two completed the set")
	}
	if got := r.expire(now.Add(30 * time.Second)); len(got) != 0 {
		t.Fatalf("expired early: %+v", got)
	}
	got := r.expire(now.Add(61 * time.Second))
	if len(got) != 1 || got[0].Text != "ab" || got[0].From != "+4412" {
		t.Errorf("expired = %+v", got)
	}
}

func TestDecodeText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dc   byte
		in   []byte
		want string
	}{
		{0, []byte{0x48, 0x00, 0x1B, 0x65}, "H@€"},
		{1, []byte("plain"), "plain"},
		{3, []byte{0x63, 0x61, 0x66, 0xE9}, "café"},
		{8, []byte{0x04, 0x1F, 0xD8, 0x3D, 0xDC, 0x4B}, "П👋"},
		{0xF0, []byte{0x41}, "A"},
	}
	for _, tt := range tests {
		if got := decodeText(tt.dc, tt.in); got != tt.want {
			t.Errorf("dc %d: %q, want %q", tt.dc, got, tt.want)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{
		{},
		{Address: "x:1", Bind: "sideways"},
		{Address: "x:1", Long: "telegram"},
		{Address: "x:1", ReceiptIDFormat: "octal"},
		{Address: "x:1", Source: "WayTooLongSender"},
		{Address: "x:1", Password: "ninechars"},
	} {
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: err = %v, want ErrConfig", cfg, err)
		}
	}
	if _, err := New(Config{Address: "127.0.0.1:2775"}); err != nil {
		t.Errorf("minimal config: %v", err)
	}
}
