package sms

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	refgsm7 "github.com/warthog618/sms/encoding/gsm7"
)

// The whole default alphabet in septet order (0x1B, the escape, left out)
// and the extension characters: an independent statement of GSM 03.38.
const (
	basicAlphabet = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	extAlphabet = "\f^{}\\[~]|€"
)

func TestGSM7Alphabet(t *testing.T) {
	t.Parallel()
	seq := []rune(basicAlphabet)
	if len(seq) != 127 {
		t.Fatalf("test alphabet has %d characters, want 127", len(seq))
	}
	for i, r := range seq {
		want := byte(i)
		if i >= escape {
			want++
		}
		got, err := EncodeGSM7(string(r))
		if err != nil || !bytes.Equal(got, []byte{want}) {
			t.Errorf("EncodeGSM7(%q) = %X, %v; want %02X", r, got, err, want)
		}
		if n, ok := Septets(string(r)); n != 1 || !ok {
			t.Errorf("Septets(%q) = %d, %v; want 1, true", r, n, ok)
		}
	}
	for _, r := range extAlphabet {
		if n, ok := Septets(string(r)); n != 2 || !ok {
			t.Errorf("Septets(%q) = %d, %v; want 2, true", r, n, ok)
		}
	}
}

// TestGSM7MatchesReference checks the tables against an independent
// implementation, in both directions.
func TestGSM7MatchesReference(t *testing.T) {
	t.Parallel()
	all := basicAlphabet + extAlphabet
	got, err := EncodeGSM7(all)
	if err != nil {
		t.Fatal(err)
	}
	want, err := refgsm7.Encode([]byte(all))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("EncodeGSM7 differs from reference:\n got %X\nwant %X", got, want)
	}
	if s := DecodeGSM7(got); s != all {
		t.Errorf("DecodeGSM7 round trip = %q, want %q", s, all)
	}
}

func TestEncodeGSM7(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []byte
		wantErr string
	}{
		{"", []byte{}, ""},
		{"Hi €5", []byte{0x48, 0x69, 0x20, 0x1B, 0x65, 0x35}, ""},
		{"[a]", []byte{0x1B, 0x3C, 0x61, 0x1B, 0x3E}, ""},
		{"@$", []byte{0x00, 0x02}, ""},
		{"ab`c", nil, "'`' (U+0060) at byte 2"},
		{"añá", nil, "'á' (U+00E1) at byte 3"},
		{"ok 😀", nil, "U+1F600"},
	}
	for _, tt := range tests {
		got, err := EncodeGSM7(tt.in)
		if tt.wantErr != "" {
			if !errors.Is(err, ErrNotGSM7) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("EncodeGSM7(%q) error = %v, want ErrNotGSM7 naming %s", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, tt.want) {
			t.Errorf("EncodeGSM7(%q) = %X, %v; want %X", tt.in, got, err, tt.want)
		}
	}
}

func TestDecodeGSM7(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, ""},
		{"plain", []byte{0x48, 0x69, 0x00, 0x02}, "Hi@$"},
		{"euro", []byte{0x1B, 0x65}, "€"},
		{"form feed", []byte{0x1B, 0x0A}, "\f"},
		{"unknown escape falls back to default table", []byte{0x1B, 0x41}, "A"},
		{"double escape shows a space", []byte{0x1B, 0x1B, 0x61}, " a"},
		{"escape at end shows a space", []byte{0x61, 0x1B}, "a "},
		{"high bit ignored", []byte{0xC1, 0x80}, "A@"},
	}
	for _, tt := range tests {
		if got := DecodeGSM7(tt.in); got != tt.want {
			t.Errorf("%s: DecodeGSM7(%X) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestSeptets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		n      int
		ok     bool
		isGSM7 bool
	}{
		{"", 0, true, true},
		{"hello", 5, true, true},
		{"€", 2, true, true},
		{"a{b}c", 7, true, true},
		{"ΔΦΓ", 3, true, true},
		{"ç", 0, false, false},
		{"ab\u00a0", 2, false, false},
		{"Привет", 0, false, false},
	}
	for _, tt := range tests {
		n, ok := Septets(tt.in)
		if n != tt.n || ok != tt.ok || IsGSM7(tt.in) != tt.isGSM7 {
			t.Errorf("Septets(%q) = %d, %v (IsGSM7 %v); want %d, %v", tt.in, n, ok, IsGSM7(tt.in), tt.n, tt.ok)
		}
	}
}
