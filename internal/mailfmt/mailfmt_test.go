package mailfmt

import (
	"bufio"
	"bytes"
	"net/mail"
	"strings"
	"testing"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

func TestParseUnquoted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, smtp string // smtp "" means refused
	}{
		{"alerts@example.com", "alerts@example.com"},
		{"first.last+tag@example.com", "first.last+tag@example.com"},
		{"john doe@example.com", `"john doe"@example.com`},
		{`a"b\c@example.com`, `"a\"b\\c"@example.com`},
		{"victim> ORCPT=rfc822;z@attacker.example", `"victim> ORCPT=rfc822;z"@attacker.example`},
		{"a..b@example.com", `"a..b"@example.com`},
		{".a@example.com", `".a"@example.com`},
		{"(415) 555-2501@sms.example.com", `"(415) 555-2501"@sms.example.com`},
		{"josé@exämple.de", "josé@exämple.de"},
		{"ops@[192.0.2.1]", "ops@[192.0.2.1]"},
		{"ops@[IPv6:2001:db8::1]", "ops@[IPv6:2001:db8::1]"},
		// The quoted local part of the issue: go-smtp hands it out with its
		// quotes gone, so its '@' cannot be told from a malformed address.
		{"victim@example.net> ORCPT=rfc822;z@attacker.example", ""},
		{"a@b@c.example", ""},
		{"noat", ""},
		{"@example.com", ""},
		{"ops@", ""},
		{"ops\r\nRCPT TO:<v@x.y>@example.com", ""},
		{"ops\x00@example.com", ""},
		{"ops\x7f@example.com", ""},
		{"two  spaces@example.com", ""},
		{"ops@exa mple.com", ""},
		{"ops@example.com>", ""},
		{"ops@example..com", ""},
		{"ops@[192.0.2.1", ""},
		{"ops@[1 2]", ""},
		{"ops@[0]", ""},
		{"ops@[2001:db8::1]", ""},
		{"ops@[IPv6:192.0.2.1]", ""},
		{"\xff@example.com", ""},
		{strings.Repeat("a", 65) + "@example.com", ""},
		{"a@" + strings.Repeat("b.", 128) + "c", ""},
	} {
		a, err := ParseUnquoted(tc.in)
		switch {
		case tc.smtp == "" && err == nil:
			t.Errorf("ParseUnquoted(%q) = %q, want it refused", tc.in, a.String())
		case tc.smtp != "" && err != nil:
			t.Errorf("ParseUnquoted(%q): %v", tc.in, err)
		case tc.smtp != "" && a.String() != tc.smtp:
			t.Errorf("ParseUnquoted(%q).String() = %q, want %q", tc.in, a.String(), tc.smtp)
		}
	}
}

func TestText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Disk alert":             "Disk alert",
		"1415\r\nBcc: v@x.y":     "1415 Bcc: v@x.y",
		"a\x00b\x1bc\x7f":        "a b c",
		"  spaced \t out  ":      "spaced out",
		"bad \xff utf-8":         "bad \uFFFD utf-8",
		"line\u2028separator":    "line separator",
		"Grüße\u0085aus Köln":    "Grüße aus Köln",
		strings.Repeat("ü", 600): strings.Repeat("ü", 450),
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMsgID(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"<alert-1@monitor.example.com>":        "alert-1@monitor.example.com",
		" <a.b@[192.0.2.1]> ":                  "a.b@[192.0.2.1]",
		"<a@b>\r\nBcc: v@x.y":                  "",
		"<a@b\r\nBcc: v@x.y>":                  "",
		"<a b@c>":                              "",
		"<no-at>":                              "",
		"a@b":                                  "",
		"<a@b> <c@d>":                          "",
		"<\x00@b>":                             "",
		"<" + "x@y" + ">" + "\x00":             "",
		"<@b>":                                 "",
		"<a@>":                                 "",
		"<" + strings.Repeat("a", 900) + "@b>": "",
	} {
		got, ok := MsgID(in)
		if got != want || ok != (want != "") {
			t.Errorf("MsgID(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestCRLF(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"a\r\nb\r\n":       "a\r\nb\r\n",
		"a\nb\n":           "a\r\nb\r\n",
		"a\r.\r\nb":        "a\r\n.\r\nb",
		"a\n.\nb":          "a\r\n.\r\nb",
		"a\r\r\nb\n\rc":    "a\r\n\r\nb\r\n\r\nc",
		"no line end":      "no line end",
		"":                 "",
		"\r":               "\r\n",
		"end\r\n.\r\n\r\n": "end\r\n.\r\n\r\n",
	} {
		if got := string(CRLF([]byte(in))); got != want {
			t.Errorf("CRLF(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzAddress: an address ParseUnquoted accepts is written so that an
// independent parser (net/mail) reads back the same address, in an SMTP
// path and in a header written by go-message, which then holds one field.
func FuzzAddress(f *testing.F) {
	for _, s := range []string{"alerts@example.com", "john doe@example.com", `a"b\c@example.com`,
		"victim> ORCPT=rfc822;z@attacker.example", "a..b@example.com", "josé@exämple.de", "ops@[192.0.2.1]",
		"ops\r\nBcc: v@x.y@example.com"} {
		f.Add(s, "SMS gateway")
	}
	f.Fuzz(func(t *testing.T, s, name string) {
		a, err := ParseUnquoted(s)
		if err != nil {
			return
		}
		if a.Unquoted() != s {
			t.Fatalf("ParseUnquoted(%q).Unquoted() = %q", s, a.Unquoted())
		}
		path := a.String()
		if strings.ContainsAny(path, "\r\n\x00") {
			t.Fatalf("SMTP path %q has a line break or NUL", path)
		}
		back, err := mail.ParseAddress("<" + path + ">")
		if err != nil {
			t.Fatalf("path %q written for %q does not parse: %v", path, s, err)
		}
		if back.Address != s {
			t.Fatalf("path %q parses back as %q, want %q", path, back.Address, s)
		}

		name = Text(name)
		var fields Fields
		fields.AddAddress("To", name, a)
		h := fields.Header()
		var b bytes.Buffer
		if err := textproto.WriteHeader(&b, h.Header); err != nil {
			t.Fatalf("writing To for %q: %v", s, err)
		}
		read, err := textproto.ReadHeader(bufio.NewReader(&b))
		if err != nil {
			t.Fatalf("reading back %q: %v", b.String(), err)
		}
		if n := read.Len(); n != 1 {
			t.Fatalf("header for %q has %d fields:\n%s", s, n, b.String())
		}
		rh := gomail.Header{Header: message.Header{Header: read}}
		list, err := rh.AddressList("To")
		if err != nil || len(list) != 1 {
			t.Fatalf("To %q does not parse back: %v %v", read.Get("To"), list, err)
		}
		if list[0].Address != s || list[0].Name != name {
			t.Fatalf("To %q parses back as %q <%q>, want %q <%q>", read.Get("To"), list[0].Name, list[0].Address, name, s)
		}
	})
}

// FuzzText: free text is written by go-message as one field that reads
// back as the text made one line.
func FuzzText(f *testing.F) {
	for _, s := range []string{"Disk alert", "1415\r\nBcc: v@x.y", "a\x00b", "Grüße", strings.Repeat("long words ", 30), "=?utf-8?q?a?= ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := Text(s)
		if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			t.Fatalf("Text(%q) = %q has control characters", s, v)
		}
		var fields Fields
		fields.AddText("Subject", s)
		h := fields.Header()
		var b bytes.Buffer
		if err := textproto.WriteHeader(&b, h.Header); err != nil {
			t.Fatalf("writing %q: %v", v, err)
		}
		read, err := textproto.ReadHeader(bufio.NewReader(&b))
		if err != nil || read.Len() != 1 {
			t.Fatalf("subject %q written as %q: %d fields, %v", v, b.String(), read.Len(), err)
		}
		if strings.Contains(v, "=?") {
			// What looks like an encoded word in plain text is left to the
			// reader to decode: it is still one field.
			return
		}
		got, err := (&gomail.Header{Header: message.Header{Header: read}}).Subject()
		if err != nil || got != v {
			t.Fatalf("subject %q reads back as %q (%v)", v, got, err)
		}
	})
}

// FuzzCRLF: the result has only CRLF line ends, keeps every other byte, and
// is its own normal form.
func FuzzCRLF(f *testing.F) {
	for _, s := range []string{"a\r\nb", "a\r.\r\n", "\n.\n", "\r\r\n\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out := CRLF(b)
		for i, c := range out {
			if c == '\r' && (i+1 == len(out) || out[i+1] != '\n') || c == '\n' && (i == 0 || out[i-1] != '\r') {
				t.Fatalf("CRLF(%q) = %q: bare CR or LF at %d", b, out, i)
			}
		}
		strip := func(b []byte) []byte {
			return bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r"), nil), []byte("\n"), nil)
		}
		if !bytes.Equal(strip(b), strip(out)) {
			t.Fatalf("CRLF(%q) = %q changed more than line ends", b, out)
		}
		if again := CRLF(out); !bytes.Equal(again, out) {
			t.Fatalf("CRLF not idempotent on %q: %q", out, again)
		}
	})
}
