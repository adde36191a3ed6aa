package sms

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	refgsm7 "github.com/warthog618/sms/encoding/gsm7"
)

func TestPackSeptetsVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text   string
		packed string
	}{
		{"hellohello", "E8329BFD4697D9EC37"},
		{"hello", "E8329BFD06"},
		{"a", "61"},
		{"1234567", "31D98C56B3DD00"},
		{"12345678", "31D98C56B3DD70"},
		{"", ""},
	}
	for _, tt := range tests {
		septets, err := EncodeGSM7(tt.text)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.ToUpper(hex.EncodeToString(PackSeptets(septets)))
		if got != tt.packed {
			t.Errorf("PackSeptets(%q) = %s, want %s", tt.text, got, tt.packed)
		}
		raw, _ := hex.DecodeString(tt.packed)
		if back := DecodeGSM7(UnpackSeptets(raw, len(septets))); back != tt.text {
			t.Errorf("UnpackSeptets(%s, %d) = %q, want %q", tt.packed, len(septets), back, tt.text)
		}
	}
}

func TestPackRoundTripAllLengths(t *testing.T) {
	t.Parallel()
	for n := 0; n <= 24; n++ {
		septets := make([]byte, n)
		for i := range septets {
			septets[i] = byte((i*37 + 11) & 0x7F)
		}
		packed := PackSeptets(septets)
		if want := (7*n + 7) / 8; len(packed) != want {
			t.Errorf("n=%d: packed %d bytes, want %d", n, len(packed), want)
		}
		if ref := refgsm7.Pack7Bit(septets, 0); !bytes.Equal(packed, ref) {
			t.Errorf("n=%d: PackSeptets = %X, reference %X", n, packed, ref)
		}
		if got := UnpackSeptets(packed, n); !bytes.Equal(got, septets) {
			t.Errorf("n=%d: round trip = %X, want %X", n, got, septets)
		}
	}
}

func TestUnpackSeptetsBounds(t *testing.T) {
	t.Parallel()
	packed := PackSeptets([]byte{1, 2, 3})
	tests := []struct {
		n    int
		want []byte
	}{
		{-1, []byte{}},
		{0, []byte{}},
		{2, []byte{1, 2}},
		{3, []byte{1, 2, 3}},
		{9, []byte{1, 2, 3}}, // only 3 whole septets in 3 octets
	}
	for _, tt := range tests {
		if got := UnpackSeptets(packed, tt.n); !bytes.Equal(got, tt.want) {
			t.Errorf("UnpackSeptets(%X, %d) = %X, want %X", packed, tt.n, got, tt.want)
		}
	}
	if got := UnpackSeptets(nil, 5); len(got) != 0 {
		t.Errorf("UnpackSeptets(nil, 5) = %X, want empty", got)
	}
}
