package sms

import (
	"strings"
	"testing"
)

func TestPrepare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		mode Mode
		want string
		enc  Encoding
	}{
		// GSM-7: keep what the alphabet has.
		{"gsm keeps its letters", "é ü ñ £ € Ç ø Å ß ¿ ¡ §", ModeGSM7, "é ü ñ £ € Ç ø Å ß ¿ ¡ §", GSM7},
		{"gsm keeps Greek capitals", "ΔΦΓΛΩΠΨΣΘΞ", ModeGSM7, "ΔΦΓΛΩΠΨΣΘΞ", GSM7},
		{"gsm Greek lookalikes", "ΑΘΗΝΑ", ModeGSM7, "AΘHNA", GSM7},
		{"gsm extension chars", "[x] {y} ~^|\\", ModeGSM7, "[x] {y} ~^|\\", GSM7},
		{"gsm smart quotes", "‘a’ ‚b‛ “c” „d", ModeGSM7, `'a' 'b' "c" "d`, GSM7},
		{"gsm dashes", "a‒b–c—d―e", ModeGSM7, "a-b-c-d-e", GSM7},
		{"gsm ellipsis", "wait…", ModeGSM7, "wait...", GSM7},
		{"gsm unicode spaces", "a\u00a0b\u2009c\u3000d\u202fe", ModeGSM7, "a b c d e", GSM7},
		{"gsm bullets and times", "• 3×4", ModeGSM7, "- 3x4", GSM7},
		{"gsm backtick", "`cmd`", ModeGSM7, "'cmd'", GSM7},
		{"gsm accents it lacks", "á ç ł ő ê", ModeGSM7, "a c l o e", GSM7},
		{"gsm Cyrillic", "Привет", ModeGSM7, "Privet", GSM7},
		{"gsm Greek lower case", "καλημέρα", ModeGSM7, "kalemera", GSM7},
		{"gsm Greek capital in a lower-case word", "Αθήνα Ψάρι", ModeGSM7, "Athena Psari", GSM7},
		{"gsm Greek capital as a symbol", "Δt=5 ΣΩ", ModeGSM7, "Δt=5 ΣΩ", GSM7},
		{"gsm decomposed accent composes", "e\u0301te\u0301", ModeGSM7, "été", GSM7},
		{"gsm emoji", "ok 😀", ModeGSM7, "ok :D", GSM7},
		{"gsm emoji with tone and selector", "👍🏽 ❤️", ModeGSM7, "(y) <3", GSM7},
		{"gsm CJK spacing", "中文。", ModeGSM7, "Zhong Wen.", GSM7},
		{"gsm controls", "a\r\nb\rc\td\x00e\x7f\fg", ModeGSM7, "a\nb\nc deg", GSM7},
		{"gsm trims", "  \n hi \u00a0\n", ModeGSM7, "hi", GSM7},
		{"gsm zero width", "a\u200bb\u00adc\ufeff", ModeGSM7, "abc", GSM7},
		// ASCII: printable ASCII only.
		{"ascii accents", "été Ñandú ß", ModeASCII, "ete Nandu ss", ASCII},
		{"ascii currency", "£5 €5 ¥5", ModeASCII, "GBP5 EUR5 JPY5", ASCII},
		{"ascii Greek capitals", "ΔΣ", ModeASCII, "DS", ASCII},
		{"ascii keeps brackets", "[a]{b}", ModeASCII, "[a]{b}", ASCII},
		{"ascii backtick", "a`b", ModeASCII, "a'b", ASCII},
		// UCS-2: as written.
		{"ucs2 unchanged", "“Привет” 😀 — 中文", ModeUCS2, "“Привет” 😀 — 中文", UCS2},
		{"ucs2 controls", "a\r\nb\x00c\u2028d", ModeUCS2, "a\nbc\nd", UCS2},
		// Auto: GSM-7 after the safe mapping, else UCS-2 as written.
		{"auto plain", "Hello, world", ModeAuto, "Hello, world", GSM7},
		{"auto punctuation", "“Don’t” — ok…", ModeAuto, `"Don't" - ok...`, GSM7},
		{"auto GSM accents", "Café Müller", ModeAuto, "Café Müller", GSM7},
		{"auto Chinese", "你好 “世界”", ModeAuto, "你好 “世界”", UCS2},
		{"auto Arabic", "مرحبا", ModeAuto, "مرحبا", UCS2},
		{"auto emoji", "Done 👍", ModeAuto, "Done 👍", UCS2},
		{"auto trims what invisibles hid", "hi \u200b", ModeAuto, "hi", GSM7},
		{"auto no lossy map", "3×4", ModeAuto, "3×4", UCS2},
		{"auto lacking accent", "ça", ModeAuto, "ça", UCS2},
		{"auto unknown mode is gsm7", "ça", Mode(42), "ca", GSM7},
	}
	for _, tt := range tests {
		got, enc := Prepare(tt.in, tt.mode)
		if got != tt.want || enc != tt.enc {
			t.Errorf("%s: Prepare(%q, %v) = %q, %v; want %q, %v", tt.name, tt.in, tt.mode, got, enc, tt.want, tt.enc)
		}
	}
}

// TestPrepareAlwaysEncodable runs a mixed bag of scripts through every mode
// and checks the promise each makes.
func TestPrepareAlwaysEncodable(t *testing.T) {
	t.Parallel()
	inputs := []string{
		"Ελληνικά ΑΒΓ", "Українська ґ є ї", "日本語のテキスト", "한국어", "עברית", "हिन्दी",
		"emoji 👩‍👩‍👧 🇫🇷", "math ∑∫√∞≠", "tab\tand\vvt", "\x01\x02", "a\xffb", "`~^{}",
		"Ł ł Ő ő Ș ș Ț ț Ž ž", "½ ¼ ™ © ®", "\u0301 lone mark",
	}
	for _, in := range inputs {
		for _, mode := range []Mode{ModeGSM7, ModeASCII, ModeUCS2, ModeAuto} {
			out, enc := Prepare(in, mode)
			if strings.ContainsFunc(out, func(r rune) bool { return r < ' ' && r != '\n' }) {
				t.Errorf("Prepare(%q, %v) = %q keeps a control character", in, mode, out)
			}
			switch {
			case enc != UCS2 && !IsGSM7(out):
				t.Errorf("Prepare(%q, %v) = %q, not GSM-7", in, mode, out)
			case enc == ASCII && strings.ContainsFunc(out, func(r rune) bool { return !isPrintableASCII(r) }):
				t.Errorf("Prepare(%q, %v) = %q, not printable ASCII", in, mode, out)
			case out != strings.TrimSpace(out):
				t.Errorf("Prepare(%q, %v) = %q, not trimmed", in, mode, out)
			}
		}
	}
}

// TestSafeReplacementCoversMap guards the range filter in safeReplacement.
func TestSafeReplacementCoversMap(t *testing.T) {
	t.Parallel()
	for r, want := range safeMap {
		if got, ok := safeReplacement(r); !ok || got != want {
			t.Errorf("safeReplacement(%U) = %q, %v; want %q", r, got, ok, want)
		}
	}
}
