package store

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/sms"
)

func samplePart() Part {
	return Part{Encoding: sms.UCS2, Text: "Grüße €", Payload: []byte{5, 0, 3, 1, 2, 1}, Ref: 200, Seq: 1, Total: 2,
		State: PartSubmitted, Attempts: 3, NextAttempt: t0, Transport: "smpp", TransportID: "0A1B",
		Error: "0x58 throttled", Updated: t0.Add(time.Second)}
}

func sampleMsg() msgRecord {
	return msgRecord{Received: t0, Expires: time.Time{}, Sender: "", Subject: "Hi", MessageID: "<a@b>",
		EnvID: "e", Ret: "FULL", Header: []byte("Subject: Hi\r\n"), Recipients: 3}
}

func TestCodecRoundTrip(t *testing.T) {
	t.Parallel()
	p := samplePart()
	got, err := decodePart(encodePart(&p))
	if err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("part round trip: %+v %v", got, err)
	}
	m := sampleMsg()
	gm, err := decodeMsg(encodeMsg(&m), true)
	if err != nil || !reflect.DeepEqual(gm, m) {
		t.Fatalf("message round trip: %+v %v", gm, err)
	}
	short, err := decodeMsg(encodeMsg(&m), false)
	if err != nil || short.Sender != m.Sender || !short.Received.Equal(m.Received) || short.Header != nil {
		t.Fatalf("message summary: %+v %v", short, err)
	}
	r := rcptRecord{Address: "a", Number: "+1", ORCPT: "o", Notify: NotifyDelay, Reported: true, Parts: 4, Pending: 2}
	gr, err := decodeRcpt(encodeRcpt(&r))
	if err != nil || gr != r {
		t.Fatalf("recipient round trip: %+v %v", gr, err)
	}
}

// Every truncation and every one-byte change of the known-good records
// must decode to an error or to a record, never panic.
func TestCodecRejectsDamage(t *testing.T) {
	t.Parallel()
	p := samplePart()
	m := sampleMsg()
	r := rcptRecord{Address: "a", Number: "+1", Parts: 1, Pending: 1}
	for name, rec := range map[string][]byte{"part": encodePart(&p), "msg": encodeMsg(&m), "rcpt": encodeRcpt(&r)} {
		decode := func(b []byte) error {
			switch name {
			case "part":
				_, err := decodePart(b)
				return err
			case "msg":
				_, err := decodeMsg(b, true)
				return err
			}
			_, err := decodeRcpt(b)
			return err
		}
		for n := range len(rec) {
			if err := decode(rec[:n]); !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s truncated to %d: %v", name, n, err)
			}
		}
		if err := decode(append(append([]byte(nil), rec...), 0)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s with trailing byte: %v", name, err)
		}
		bad := append([]byte(nil), rec...)
		bad[0] = 9
		if err := decode(bad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s version 9: %v", name, err)
		}
		for i := range rec {
			b := append([]byte(nil), rec...)
			b[i] ^= 0xff
			_ = decode(b)
		}
	}
}

func TestDecodeRejectsBadFields(t *testing.T) {
	t.Parallel()
	p := samplePart()
	p.State = 0
	if _, err := decodePart(encodePart(&p)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("state 0: %v", err)
	}
	r := rcptRecord{Parts: 1, Pending: 2}
	if _, err := decodeRcpt(encodeRcpt(&r)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("pending > parts: %v", err)
	}
	huge := []byte{recordV1, 0xff, 0xff, 0xff, 0xff, 0x0f} // a 4 GiB address length
	if _, err := decodeRcpt(huge); !errors.Is(err, ErrCorrupt) {
		t.Errorf("huge length: %v", err)
	}
}

func FuzzDecodePart(f *testing.F) {
	p := samplePart()
	f.Add(encodePart(&p))
	p.InDoubt, p.AlsoTransport, p.AlsoID = 1, "smpp", "0A1C"
	f.Add(encodePart(&p))
	p.Receipt = "UNDELIV"
	f.Add(encodePart(&p))
	p.Receipt, p.State, p.Error = "", PartFailed, "the network could not deliver the message (stat:UNDELIV err:001)"
	f.Add(encodePart(&p))
	f.Add([]byte{recordV1})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodePart(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error not ErrCorrupt: %v", err)
			}
			return
		}
		again, err := decodePart(encodePart(&p))
		if err != nil || !reflect.DeepEqual(again, p) {
			t.Fatalf("re-encode differs: %+v / %+v %v", p, again, err)
		}
	})
}

func FuzzDecodeMessage(f *testing.F) {
	m := sampleMsg()
	f.Add(encodeMsg(&m))
	r := rcptRecord{Address: "a", Number: "+1", Parts: 1, Pending: 1}
	f.Add(encodeRcpt(&r))
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := decodeMsg(b, true); err == nil {
			again, err := decodeMsg(encodeMsg(&m), true)
			if err != nil || !reflect.DeepEqual(again, m) {
				t.Fatalf("message re-encode differs: %+v / %+v %v", m, again, err)
			}
		} else if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("error not ErrCorrupt: %v", err)
		}
		if r, err := decodeRcpt(b); err == nil {
			again, err := decodeRcpt(encodeRcpt(&r))
			if err != nil || again != r {
				t.Fatalf("recipient re-encode differs: %+v / %+v %v", r, again, err)
			}
		}
	})
}

// TestCodecOmitted shows that a message's Omitted note round-trips and
// that records written before the field existed still decode.
func TestCodecOmitted(t *testing.T) {
	t.Parallel()
	m := sampleMsg()
	old := encodeMsg(&m)
	m.Omitted = `"photo.jpg" (image/jpeg)`
	got, err := decodeMsg(encodeMsg(&m), true)
	if err != nil || got.Omitted != m.Omitted {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if got, err := decodeMsg(old, true); err != nil || got.Omitted != "" {
		t.Fatalf("record without the field: %+v %v", got, err)
	}
}
