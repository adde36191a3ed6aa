package mailtext

import (
	"encoding/binary"
	"strings"
	"unicode/utf16"
)

// isUTF16Label reports a charset label that leaves the byte order open or
// names one; decodeUTF16 settles it from the data.
func isUTF16Label(label string) bool {
	switch label {
	case "utf-16", "utf16", "utf-16le", "utf-16be", "ucs-2", "ucs2", "iso-10646-ucs-2", "unicode":
		return true
	}
	return false
}

// decodeUTF16 decodes UTF-16 text. The byte order comes from a byte-order
// mark, else from where the zero bytes fall (ASCII and Latin text has the
// high byte zero: odd offsets for little-endian, even for big-endian), else
// from the label, else big-endian as RFC 2781 says. Mailers label
// little-endian data "utf-16" without a mark often enough to matter.
func decodeUTF16(b []byte, label string) string {
	var order binary.ByteOrder = binary.BigEndian
	switch {
	case len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		b = b[2:]
	case len(b) >= 2 && b[0] == 0xFF && b[1] == 0xFE:
		order, b = binary.LittleEndian, b[2:]
	default:
		even, odd := zeroBytes(b)
		switch {
		case odd > even:
			order = binary.LittleEndian
		case even > odd:
		case label == "utf-16le":
			order = binary.LittleEndian
		}
	}
	units := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		units = append(units, order.Uint16(b[i:]))
	}
	s := string(utf16.Decode(units))
	if len(b)%2 == 1 {
		s += "\uFFFD" // a dangling byte
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// zeroBytes counts the zero bytes at even and at odd offsets of the first
// kilobytes of b.
func zeroBytes(b []byte) (even, odd int) {
	for i, c := range b[:min(len(b), 4096)] {
		if c == 0 {
			if i%2 == 0 {
				even++
			} else {
				odd++
			}
		}
	}
	return even, odd
}
