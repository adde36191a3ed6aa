package corpus_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/smsbridge/smsbridge/sms"
)

// wantEncoding is the encoding each mode may produce. gsm7 and ascii send
// text mostly in Japanese or Korean as UCS-2 ([sms] unreadable = "ucs2").
var wantEncoding = map[string][]sms.Encoding{
	"gsm7":  {sms.GSM7, sms.UCS2},
	"ascii": {sms.ASCII, sms.UCS2},
	"ucs2":  {sms.UCS2},
	"auto":  {sms.GSM7, sms.UCS2},
}

// checkMessage checks what every conversion promises, whatever the mail:
// the encoding the mode allows, text valid in it, no more parts than
// allowed, each part within the network's limits and the parts adding up
// to the text.
func checkMessage(t testing.TB, mode string, msg sms.Message, opt sms.Options) {
	t.Helper()
	ok := false
	for _, e := range wantEncoding[mode] {
		ok = ok || msg.Encoding == e
	}
	if !ok {
		t.Errorf("%s: encoding %v", mode, msg.Encoding)
	}
	if err := validText(msg.Text, msg.Encoding); err != "" {
		t.Errorf("%s: text %s: %q", mode, err, msg.Text)
	}
	if n := len(msg.Parts); n == 0 || n > max(opt.MaxParts, 1) {
		t.Errorf("%s: %d parts, max_parts %d", mode, n, opt.MaxParts)
	}
	var joined strings.Builder
	for i, p := range msg.Parts {
		checkPart(t, mode, msg, i, opt.Split)
		if opt.Split == sms.SplitPlain && i > 0 && !strings.HasSuffix(joined.String(), "\n") {
			joined.WriteByte(' ') // the space a plain split drops
		}
		joined.WriteString(p.Text)
	}
	if opt.Split == sms.SplitUDH && joined.String() != msg.Text {
		t.Errorf("%s: parts do not add up to the text:\n%q\n%q", mode, joined.String(), msg.Text)
	}
}

// checkPart checks one part's size, payload and numbering.
func checkPart(t testing.TB, mode string, msg sms.Message, i int, split sms.SplitMode) {
	t.Helper()
	p := msg.Parts[i]
	single, multi := 160, 153
	if msg.Encoding == sms.UCS2 {
		single, multi = 70, 67
	}
	limit := single
	if len(msg.Parts) > 1 && split == sms.SplitUDH {
		limit = multi
	}
	if n := units(p.Text, msg.Encoding); n > limit || n == 0 {
		t.Errorf("%s: part %d has %d units, limit %d: %q", mode, i+1, n, limit, p.Text)
	}
	if got := decode(p.Payload, msg.Encoding); got != p.Text {
		t.Errorf("%s: part %d payload decodes to %q, text is %q", mode, i+1, got, p.Text)
	}
	total := 0
	if len(msg.Parts) > 1 && split == sms.SplitUDH {
		total = len(msg.Parts)
	}
	if p.Seq != i+1 || p.Total != total {
		t.Errorf("%s: part %d numbered %d/%d", mode, i+1, p.Seq, p.Total)
	}
}

// validText says what is wrong with s for enc, or "".
func validText(s string, enc sms.Encoding) string {
	switch {
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case strings.TrimSpace(s) != s || s == "":
		return "is empty or has surrounding space"
	case enc != sms.UCS2 && !sms.IsGSM7(s):
		return "is not GSM-7"
	case enc == sms.ASCII && strings.ContainsFunc(s, func(r rune) bool { return r != '\n' && (r < ' ' || r > '~') }):
		return "is not printable ASCII"
	}
	return ""
}

// units counts s as networks do: septets with escapes, or UTF-16 units.
func units(s string, enc sms.Encoding) int {
	if enc != sms.UCS2 {
		n, _ := sms.Septets(s)
		return n
	}
	return len(sms.EncodeUCS2(s)) / 2
}

func decode(payload []byte, enc sms.Encoding) string {
	if enc == sms.UCS2 {
		return sms.DecodeUCS2(payload)
	}
	return sms.DecodeGSM7(payload)
}
