package sms

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	refgsm7 "github.com/warthog618/sms/encoding/gsm7"
)

func FuzzBuild(f *testing.F) {
	seeds := []string{
		"hello", strings.Repeat("abcd ", 40), strings.Repeat("a", 152) + "€" + "b",
		strings.Repeat("中", 66) + "😀中", "“Hi” — it’s… • ok", "Привет мир Γειά ΑΘΗΝΑ",
		"a\r\nb\tc\x00", strings.Repeat("[x] ", 60), "\u200b \u00a0", "e\u0301\xff",
		"done 🚀🔥 👨‍👩‍👧 🇩🇪", "会議は10時からです", strings.Repeat("report ", 200) + "©",
	}
	for i, s := range seeds {
		f.Add(s, uint8(i%4), i%3 == 0, uint8(i%5), i%2 == 0, uint8(i))
	}
	f.Fuzz(func(t *testing.T, text string, mode uint8, plain bool, maxParts uint8, truncate bool, repeat uint8) {
		// Repeating short fuzzed text reaches the part limits often.
		if n := int(repeat % 40); n > 1 && len(text)*n <= 4000 {
			text = strings.Repeat(text, n)
		}
		opt := Options{Mode: Mode(mode % 4), MaxParts: int(maxParts % 8), Truncate: truncate, Emoji: EmojiMode(mode >> 7)}
		if plain {
			opt.Split = SplitPlain
		}
		m, err := Build(text, opt)
		switch {
		case err == nil:
		case errors.Is(err, ErrEmpty), errors.Is(err, ErrTooLong) && !truncate:
			return
		default:
			t.Fatalf("Build(%q, %+v): %v", text, opt, err)
		}
		if err := checkMessage(m, opt); err != nil {
			t.Fatalf("Build(%q, %+v): %v", text, opt, err)
		}
		if m.Text != strings.TrimSpace(m.Text) {
			t.Fatalf("Text %q not trimmed", m.Text)
		}
		used := opt.Mode
		if (used == ModeGSM7 || used == ModeASCII) && unreadable(text) {
			used = ModeUCS2 // Build's answer to Japanese and Korean
		}
		if prepared, _ := prepare(text, used, opt.Emoji); !m.Truncated && m.Text != prepared {
			t.Fatalf("Text %q, prepared %q", m.Text, prepared)
		}
	})
}

func FuzzUnpackSeptets(f *testing.F) {
	f.Add([]byte{0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37}, 10)
	f.Add([]byte{}, 3)
	f.Add([]byte{0xFF}, -1)
	f.Fuzz(func(t *testing.T, packed []byte, n int) {
		u := UnpackSeptets(packed, n)
		if len(u) > len(packed)*8/7 || (n >= 0 && len(u) > n) {
			t.Fatalf("UnpackSeptets(%X, %d) gave %d septets", packed, n, len(u))
		}
		for _, s := range u {
			if s > 0x7F {
				t.Fatalf("septet %02X over 7 bits", s)
			}
		}
		if got := UnpackSeptets(PackSeptets(u), len(u)); !bytes.Equal(got, u) {
			t.Fatalf("round trip %X != %X", got, u)
		}
		if ref := refgsm7.Pack7Bit(u, 0); !bytes.Equal(PackSeptets(u), ref) {
			t.Fatalf("PackSeptets(%X) = %X, reference %X", u, PackSeptets(u), ref)
		}
		_ = DecodeGSM7(u)
	})
}

func FuzzDecodeGSM7(f *testing.F) {
	f.Add([]byte("hello"))
	f.Add([]byte{0x1B, 0x65, 0x1B})
	f.Add([]byte{0x1B, 0x1B, 0xFF})
	f.Fuzz(func(t *testing.T, septets []byte) {
		s := DecodeGSM7(septets)
		if !utf8.ValidString(s) || !IsGSM7(s) {
			t.Fatalf("DecodeGSM7(%X) = %q, not GSM-7 text", septets, s)
		}
		// Whatever was decoded encodes again and decodes the same.
		enc, err := EncodeGSM7(s)
		if err != nil || DecodeGSM7(enc) != s {
			t.Fatalf("re-encoding %q: %X, %v", s, enc, err)
		}
	})
}

func FuzzDecodeUCS2(f *testing.F) {
	f.Add([]byte{0xD8, 0x3D, 0xDE, 0x00})
	f.Add([]byte{0xDE, 0x00, 0x41})
	f.Fuzz(func(t *testing.T, b []byte) {
		s := DecodeUCS2(b)
		if !utf8.ValidString(s) {
			t.Fatalf("DecodeUCS2(%X) = %q, invalid UTF-8", b, s)
		}
		if DecodeUCS2(EncodeUCS2(s)) != s {
			t.Fatalf("round trip of %q changed it", s)
		}
	})
}
