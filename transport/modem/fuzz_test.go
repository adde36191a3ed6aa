package modem

import (
	"strings"
	"testing"
)

// FuzzDecodePDU: whatever hex a modem sends in +CMT, +CDS, +CMGR or
// +CMGL, decoding never panics.
func FuzzDecodePDU(f *testing.F) {
	for _, s := range []string{
		"07914477850160F5040B914477009001F20000622011210000400AC8329BFD065DDF723619",
		"0006010B914177550001F0622011210000406220112100004000",
		"07914477850160F5440B914477009002F200006220112100004099050003A50201986F79B90D4AC3E7F53688FC66BFE5A0799A0E0AB7CB741668FC76CFCB637A995E9783C2E4343C3D4F8FD3EE33A8CC4ED359A079990C22BF41E5747DDE7E9341F4721BFE9683D2EE719A9C26D7DD74509D0E6287C56F791954A683C86FF65B5E06B5C36777181466A7E3F5B0AB4A0795DDE936284C06B5D3EE741B642FBBD3E1360B14AFA7E7",
		"", "00", "zz", "0791",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tp, err := decodePDU(s)
		if err == nil && tp == nil {
			t.Fatal("no TPDU and no error")
		}
	})
}

// FuzzParseLines: the answer-line parsers take any lines without
// panicking, and what they accept is in range.
func FuzzParseLines(f *testing.F) {
	for _, s := range []string{
		"+CMGS: 12", "+CMTI: \"SM\",3", "+CMGL: 1,0,,23\n0011", "+CMGR: 0,,23\n0011",
		"+CSQ: 21,99", "+CREG: 0,1", "+CPIN: READY", "+CNUM: \"\",\"+44\",145", "+CMGS:", "+CMTI: ,", "+CSQ: -1",
		"+CNMI: 1,2,0,1,0", "+CNMI: 0,0", "+CNMI: 1,x,0,-1,0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lines := strings.Split(s, "\n")
		if mr, err := parseCMGS(lines); err == nil && (mr < 0 || mr > 255) {
			t.Fatalf("reference %d", mr)
		}
		if _, idx, err := parseCMTI(lines[0]); err == nil && idx < 0 {
			t.Fatalf("index %d", idx)
		}
		for _, prefix := range []string{"+CMGL:", "+CMGR:"} {
			list, _ := parseListing(lines, prefix)
			for _, m := range list {
				if prefix == "+CMGL:" && m.index < 0 {
					t.Fatalf("index %d", m.index)
				}
			}
		}
		if n, err := parseCSQ(lines); err == nil && (n < 0 || (n > 31 && n != 99)) {
			t.Fatalf("rssi %d", n)
		}
		if mt, ds, err := parseCNMI(lines); err == nil && (mt < 0 || ds < 0) {
			t.Fatalf("+CNMI %d,%d", mt, ds)
		}
		parseCREG(lines)
		parseCPIN(lines)
		parseCNUM(lines)
	})
}
