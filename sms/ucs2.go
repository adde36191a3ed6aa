package sms

import (
	"unicode/utf16"
	"unicode/utf8"
)

// EncodeUCS2 returns s as UTF-16 big-endian, the form networks carry as
// "UCS-2": characters beyond the BMP become surrogate pairs. Invalid UTF-8
// becomes U+FFFD.
func EncodeUCS2(s string) []byte {
	out := make([]byte, 0, 2*len(s))
	for _, r := range s {
		if r >= 0x10000 {
			hi, lo := utf16.EncodeRune(r)
			out = append(out, byte(hi>>8), byte(hi), byte(lo>>8), byte(lo))
			continue
		}
		out = append(out, byte(r>>8), byte(r))
	}
	return out
}

// DecodeUCS2 turns UTF-16 big-endian bytes into text. Unpaired surrogates and
// a dangling odd byte become U+FFFD.
func DecodeUCS2(b []byte) string {
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	buf := make([]byte, 0, len(b)+len(b)/2)
	for _, r := range utf16.Decode(units) {
		buf = utf8.AppendRune(buf, r)
	}
	if len(b)%2 != 0 {
		buf = utf8.AppendRune(buf, utf8.RuneError)
	}
	return string(buf)
}

// ucs2Width is the number of UTF-16 code units r takes.
func ucs2Width(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}
