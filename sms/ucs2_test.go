package sms

import (
	"bytes"
	"testing"
)

func TestUCS2(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		enc  []byte
	}{
		{"", []byte{}},
		{"Hi", []byte{0x00, 0x48, 0x00, 0x69}},
		{"中文", []byte{0x4E, 0x2D, 0x65, 0x87}},
		{"€", []byte{0x20, 0xAC}},
		{"😀", []byte{0xD8, 0x3D, 0xDE, 0x00}},
		{"a😀b", []byte{0x00, 0x61, 0xD8, 0x3D, 0xDE, 0x00, 0x00, 0x62}},
	}
	for _, tt := range tests {
		got := EncodeUCS2(tt.text)
		if !bytes.Equal(got, tt.enc) {
			t.Errorf("EncodeUCS2(%q) = %X, want %X", tt.text, got, tt.enc)
		}
		if back := DecodeUCS2(tt.enc); back != tt.text {
			t.Errorf("DecodeUCS2(%X) = %q, want %q", tt.enc, back, tt.text)
		}
	}
}

func TestDecodeUCS2Malformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"odd byte", []byte{0x00, 0x41, 0x00}, "A\uFFFD"},
		{"lone high surrogate", []byte{0xD8, 0x3D, 0x00, 0x41}, "\uFFFDA"},
		{"lone low surrogate", []byte{0xDE, 0x00}, "\uFFFD"},
	}
	for _, tt := range tests {
		if got := DecodeUCS2(tt.in); got != tt.want {
			t.Errorf("%s: DecodeUCS2(%X) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestEncodeUCS2InvalidUTF8(t *testing.T) {
	t.Parallel()
	if got, want := EncodeUCS2("a\xffb"), []byte{0x00, 0x61, 0xFF, 0xFD, 0x00, 0x62}; !bytes.Equal(got, want) {
		t.Errorf("EncodeUCS2(invalid) = %X, want %X", got, want)
	}
}

func TestUDH(t *testing.T) {
	t.Parallel()
	if got, want := UDH(0xA7, 2, 3), []byte{0x05, 0x00, 0x03, 0xA7, 0x03, 0x02}; !bytes.Equal(got, want) {
		t.Errorf("UDH(0xA7, 2, 3) = %X, want %X", got, want)
	}
}
