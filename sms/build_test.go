package sms

import (
	"errors"
	"strings"
	"testing"
)

var (
	gsmUDH  = Options{Mode: ModeGSM7, Split: SplitUDH, MaxParts: 10}
	ucs2UDH = Options{Mode: ModeUCS2, Split: SplitUDH, MaxParts: 10}
)

func rep(s string, n int) string { return strings.Repeat(s, n) }

func TestBuildLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		text  string
		opt   Options
		parts []string
	}{
		{"160 septets fit one SMS", rep("a", 160), gsmUDH, []string{rep("a", 160)}},
		{"161 septets need two", rep("a", 161), gsmUDH, []string{rep("a", 153), rep("a", 8)}},
		{"escape counts two, 160 fit", rep("a", 158) + "€", gsmUDH, []string{rep("a", 158) + "€"}},
		{"escape counts two, 161 split", rep("a", 159) + "€", gsmUDH, []string{rep("a", 153), rep("a", 6) + "€"}},
		{"escape straddling 153 moves whole", rep("a", 152) + "€" + rep("b", 10), gsmUDH,
			[]string{rep("a", 152), "€" + rep("b", 10)}},
		{"escape ending at 153 stays", rep("a", 151) + "[" + rep("b", 10), gsmUDH,
			[]string{rep("a", 151) + "[", rep("b", 10)}},
		{"ascii brackets count two", rep("[", 80), Options{Mode: ModeASCII, MaxParts: 3}, []string{rep("[", 80)}},
		{"ascii brackets over 160", rep("[", 81), Options{Mode: ModeASCII, MaxParts: 3},
			[]string{rep("[", 76), rep("[", 5)}},
		{"70 UCS-2 units fit", rep("中", 70), ucs2UDH, []string{rep("中", 70)}},
		{"71 UCS-2 units split", rep("中", 71), ucs2UDH, []string{rep("中", 67), rep("中", 4)}},
		{"emoji fits 70 exactly", rep("中", 68) + "😀", ucs2UDH, []string{rep("中", 68) + "😀"}},
		{"emoji over 70", rep("中", 69) + "😀", ucs2UDH, []string{rep("中", 67), "中中😀"}},
		{"emoji straddling 67 moves whole", rep("中", 66) + "😀" + rep("中", 10), ucs2UDH,
			[]string{rep("中", 66), "😀" + rep("中", 10)}},
		{"auto picks UCS-2 for emoji", rep("a", 63) + "😀" + rep("b", 5), Options{Mode: ModeAuto, MaxParts: 2},
			[]string{rep("a", 63) + "😀" + rep("b", 5)}},
		{"plain split at 160", rep("a", 400), Options{Split: SplitPlain, MaxParts: 3},
			[]string{rep("a", 160), rep("a", 160), rep("a", 80)}},
		{"plain split UCS-2 at 70", rep("中", 150), Options{Mode: ModeUCS2, Split: SplitPlain, MaxParts: 3},
			[]string{rep("中", 70), rep("中", 70), rep("中", 10)}},
		{"max parts zero means one", rep("a", 160), Options{}, []string{rep("a", 160)}},
	}
	for _, tt := range tests {
		m, err := Build(tt.text, tt.opt)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := partTexts(m); !equalStrings(got, tt.parts) {
			t.Errorf("%s: parts %q, want %q", tt.name, got, tt.parts)
		}
		if err := checkMessage(m, tt.opt); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

func TestBuildWordBreaks(t *testing.T) {
	t.Parallel()
	words := strings.TrimSpace(rep("abcd ", 40)) // a space at every 5th position
	plain := Options{Split: SplitPlain, MaxParts: 6}
	tests := []struct {
		name  string
		text  string
		opt   Options
		parts []string
	}{
		// With a UDH the phone joins parts as they are, so the breaking
		// space stays: at the end of a part, or opening the next.
		{"break at last space", words, gsmUDH, []string{words[:150], words[150:]}},
		{"cut right before a space", rep("a", 153) + " " + rep("b", 10), gsmUDH, []string{rep("a", 153), " " + rep("b", 10)}},
		{"newline breaks too", rep("a", 140) + "\n" + rep("b", 30), gsmUDH, []string{rep("a", 140) + "\n", rep("b", 30)}},
		{"space too early: hard cut", "a " + rep("b", 200), gsmUDH, []string{"a " + rep("b", 151), rep("b", 49)}},
		{"space at 80%", rep("a", 123) + " " + rep("b", 50), gsmUDH, []string{rep("a", 123) + " ", rep("b", 50)}},
		{"space under 80%", rep("a", 121) + " " + rep("b", 50), gsmUDH, []string{rep("a", 121) + " " + rep("b", 31), rep("b", 19)}},
		{"two spaces kept", rep("a", 150) + "  " + rep("b", 20), gsmUDH, []string{rep("a", 150) + "  ", rep("b", 20)}},
		// Standalone messages drop the space they break at.
		{"plain: break at last space", words, plain, []string{words[:159], words[160:]}},
		{"plain: cut right before a space", rep("a", 160) + " " + rep("b", 10), plain, []string{rep("a", 160), rep("b", 10)}},
		{"plain: newline breaks too", rep("a", 140) + "\n" + rep("b", 30), plain, []string{rep("a", 140), rep("b", 30)}},
		{"plain: only one space dropped", rep("a", 157) + "  " + rep("b", 20), plain, []string{rep("a", 157) + " ", rep("b", 20)}},
	}
	for _, tt := range tests {
		m, err := Build(tt.text, tt.opt)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := partTexts(m); !equalStrings(got, tt.parts) {
			t.Errorf("%s: parts %q, want %q", tt.name, got, tt.parts)
		}
		if err := checkMessage(m, tt.opt); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

func TestBuildTruncate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		text  string
		opt   Options
		parts []string
	}{
		{"two UDH parts", rep("a", 400), Options{MaxParts: 2, Truncate: true},
			[]string{rep("a", 153), rep("a", 150) + "..."}},
		{"one part is a standalone SMS", rep("a", 200), Options{MaxParts: 1, Truncate: true},
			[]string{rep("a", 157) + "..."}},
		{"escape not cut by the marker", rep("a", 156) + rep("€", 10), Options{MaxParts: 1, Truncate: true},
			[]string{rep("a", 156) + "..."}},
		{"word break before the marker", rep("abcdefghi ", 30), Options{MaxParts: 1, Truncate: true},
			[]string{strings.TrimSpace(rep("abcdefghi ", 15)) + "..."}},
		{"UCS-2 marker is one unit", rep("中", 100), Options{Mode: ModeUCS2, MaxParts: 1, Truncate: true},
			[]string{rep("中", 69) + "…"}},
		{"surrogate not cut by the marker", rep("中", 68) + rep("😀", 5), Options{Mode: ModeUCS2, MaxParts: 1, Truncate: true},
			[]string{rep("中", 68) + "…"}},
		{"plain parts", rep("a", 500), Options{Split: SplitPlain, MaxParts: 2, Truncate: true},
			[]string{rep("a", 160), rep("a", 157) + "..."}},
	}
	for _, tt := range tests {
		m, err := Build(tt.text, tt.opt)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := partTexts(m); !equalStrings(got, tt.parts) || !m.Truncated {
			t.Errorf("%s: parts %q (truncated %v), want %q", tt.name, got, m.Truncated, tt.parts)
		}
		if err := checkMessage(m, tt.opt); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

func TestBuildTruncatedText(t *testing.T) {
	t.Parallel()
	words := strings.TrimSpace(rep("word ", 100))
	m, err := Build(words, Options{MaxParts: 2, Truncate: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(m.Text, "word...") || !strings.HasPrefix(words, strings.TrimSuffix(m.Text, "...")) {
		t.Errorf("Text = %q", m.Text)
	}
	if m.Segments() != 2 || m.Parts[0].Total != 2 {
		t.Errorf("Segments() = %d, Total = %d; want 2, 2", m.Segments(), m.Parts[0].Total)
	}
}

func TestBuildErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		opt  Options
		want error
	}{
		{"empty", "", gsmUDH, ErrEmpty},
		{"only white space", " \n\t\u00a0\r\n ", gsmUDH, ErrEmpty},
		{"only controls", "\x00\x07", Options{Mode: ModeUCS2}, ErrEmpty},
		{"only invisible", "\u200b\ufeff", gsmUDH, ErrEmpty},
		{"too long", rep("a", 400), Options{MaxParts: 2}, ErrTooLong},
		{"too long plain", rep("a", 321), Options{Split: SplitPlain, MaxParts: 2}, ErrTooLong},
		{"too long UCS-2", rep("中", 135), Options{Mode: ModeUCS2, MaxParts: 2}, ErrTooLong},
		{"UDH caps parts at 255", rep("a", 153*255+1), Options{MaxParts: 1000}, ErrTooLong},
	}
	for _, tt := range tests {
		_, err := Build(tt.text, tt.opt)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.want)
		}
	}
	for _, opt := range []Options{{Mode: 9}, {Split: 5}, {MaxParts: -1}} {
		if _, err := Build("hi", opt); err == nil {
			t.Errorf("Build with %+v: no error", opt)
		}
	}
}

func TestBuildFitsExactly(t *testing.T) {
	t.Parallel()
	// Exactly MaxParts full parts is not too long.
	m, err := Build(rep("a", 153*3), Options{MaxParts: 3})
	if err != nil || len(m.Parts) != 3 || m.Truncated {
		t.Fatalf("Build(459 septets, 3 parts) = %d parts, truncated %v, %v", len(m.Parts), m.Truncated, err)
	}
	if _, err := Build(rep("a", 153*3+1), Options{MaxParts: 3}); !errors.Is(err, ErrTooLong) {
		t.Errorf("Build(460 septets, 3 parts) error = %v, want ErrTooLong", err)
	}
}

func partTexts(m Message) []string {
	out := make([]string, len(m.Parts))
	for i, p := range m.Parts {
		out[i] = p.Text
	}
	return out
}

func equalStrings(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00") && len(a) == len(b)
}

// TestBuildUnreadable shows the two answers gsm7 and ascii give to text
// mostly in Japanese or Korean: UCS-2 by default, ErrUnreadable on request.
func TestBuildUnreadable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		opt  Options
		enc  Encoding
		err  error
	}{
		{"japanese gsm7 to ucs2", "会議は10時からです。", Options{Mode: ModeGSM7}, UCS2, nil},
		{"korean ascii to ucs2", "회의는 10시에 시작합니다", Options{Mode: ModeASCII}, UCS2, nil},
		{"japanese rejected", "会議は10時からです。", Options{Mode: ModeGSM7, Unreadable: UnreadableReject}, 0, ErrUnreadable},
		{"a Japanese word in English text stays gsm7", "Meeting at 10 in room Sakura (さくら) today", Options{Mode: ModeGSM7}, GSM7, nil},
		{"chinese keeps its pinyin", "会议十点开始", Options{Mode: ModeGSM7, Unreadable: UnreadableReject}, GSM7, nil},
	}
	for _, tt := range tests {
		m, err := Build(tt.text, tt.opt)
		if !errors.Is(err, tt.err) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.err)
			continue
		}
		if err == nil && m.Encoding != tt.enc {
			t.Errorf("%s: encoding %v, want %v", tt.name, m.Encoding, tt.enc)
		}
	}
}
