package sms

// UDH returns the user data header of a concatenated SMS part: information
// element 0x00 (concatenation, 8-bit reference). seq counts from 1; seq and
// total must be within 1..255, which Build guarantees for its parts.
func UDH(ref uint8, seq, total int) []byte {
	return []byte{0x05, 0x00, 0x03, ref, byte(total), byte(seq)}
}
