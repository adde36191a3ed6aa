package sms

import "testing"

func TestParseMode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Mode
		wantErr bool
	}{
		{"gsm7", ModeGSM7, false},
		{"ascii", ModeASCII, false},
		{"ucs2", ModeUCS2, false},
		{"auto", ModeAuto, false},
		{" UCS2 ", ModeUCS2, false},
		{"", 0, true},
		{"utf8", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseMode(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseMode(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err == nil && got.String() != tt.want.String() {
			t.Errorf("Mode(%d).String() = %q", got, got.String())
		}
	}
	if s := Mode(9).String(); s != "Mode(9)" {
		t.Errorf("Mode(9).String() = %q", s)
	}
}

func TestParseSplitMode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    SplitMode
		wantErr bool
	}{
		{"udh", SplitUDH, false},
		{"plain", SplitPlain, false},
		{"Plain", SplitPlain, false},
		{"", 0, true},
		{"concat", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSplitMode(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseSplitMode(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	if SplitPlain.String() != "plain" || SplitMode(7).String() != "SplitMode(7)" {
		t.Errorf("SplitMode.String: %q, %q", SplitPlain, SplitMode(7))
	}
}

func TestParseTextModes(t *testing.T) {
	t.Parallel()
	if m, err := ParseEmojiMode(""); err != nil || m != EmojiWords {
		t.Errorf(`ParseEmojiMode("") = %v, %v`, m, err)
	}
	if m, err := ParseEmojiMode("DROP"); err != nil || m != EmojiDrop || m.String() != "drop" {
		t.Errorf(`ParseEmojiMode("DROP") = %v, %v`, m, err)
	}
	if m, err := ParseUnreadableMode("reject"); err != nil || m != UnreadableReject || m.String() != "reject" {
		t.Errorf(`ParseUnreadableMode("reject") = %v, %v`, m, err)
	}
	if _, err := ParseUnreadableMode("latin"); err == nil {
		t.Error(`ParseUnreadableMode("latin") accepted`)
	}
	if s := EmojiMode(9).String(); s != "EmojiMode(9)" {
		t.Errorf("EmojiMode(9) = %q", s)
	}
}
