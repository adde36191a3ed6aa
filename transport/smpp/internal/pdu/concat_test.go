package pdu

import "testing"

func FuzzParseUDH(f *testing.F) {
	f.Add([]byte{0x05, 0x00, 0x03, 0x01, 0x03, 0x02, 'x'})
	f.Add([]byte{0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x01, 'x'})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, ok, rest, _ := ParseUDH(b)
		if ok && (c.Seq < 1 || c.Seq > c.Total) {
			t.Fatalf("accepted out-of-range %+v", c)
		}
		if len(rest) > len(b) {
			t.Fatal("rest longer than input")
		}
	})
}
