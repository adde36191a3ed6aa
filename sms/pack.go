package sms

// PackSeptets packs septets into octets, least significant bit first, as GSM
// 03.38 §6.1.2.1 describes. Only the low seven bits of each byte are used.
// When len(septets)%8 == 7 the last octet has a spare bit, left zero: the
// receiver knows the septet count from the user data length.
func PackSeptets(septets []byte) []byte {
	out := make([]byte, (len(septets)*7+7)/8)
	for i, s := range septets {
		s &= maxSept
		bit := i * 7
		idx, shift := bit/8, uint(bit%8)
		out[idx] |= s << shift
		if shift > 1 {
			out[idx+1] |= s >> (8 - shift)
		}
	}
	return out
}

// UnpackSeptets reads n septets from packed octets. It returns fewer when
// packed holds fewer, and none for n <= 0.
func UnpackSeptets(packed []byte, n int) []byte {
	if avail := len(packed) * 8 / 7; n > avail {
		n = avail
	}
	if n <= 0 {
		return []byte{}
	}
	out := make([]byte, n)
	for i := range out {
		bit := i * 7
		idx, shift := bit/8, uint(bit%8)
		v := packed[idx] >> shift
		if shift > 1 {
			v |= packed[idx+1] << (8 - shift)
		}
		out[i] = v & maxSept
	}
	return out
}
