package mailtext

import (
	"regexp"
	"strings"
	"testing"
)

func TestParseSubjectMode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    SubjectMode
		wantErr bool
	}{
		{"prefix", SubjectPrefix, false},
		{" Ignore ", SubjectIgnore, false},
		{"", SubjectPrefix, false},
		{"PREFIX", SubjectPrefix, false},
		{"append", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSubjectMode(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseSubjectMode(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	if SubjectIgnore.String() != "ignore" || SubjectMode(9).String() != "SubjectMode(9)" {
		t.Errorf("String: %q %q", SubjectIgnore.String(), SubjectMode(9).String())
	}
}

func TestJoinSubject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		subject, body string
		mode          SubjectMode
		want          string
	}{
		{"Hi", "there", SubjectPrefix, "Hi\nthere"},
		{"Hi", "", SubjectPrefix, "Hi"},
		{"", "body", SubjectPrefix, "body"},
		{"Hi", "there", SubjectIgnore, "there"},
		{"Water leak", "water leak in the cellar", SubjectPrefix, "water leak in the cellar"},
		{"Long subject", "Long", SubjectPrefix, "Long subject\nLong"},
	}
	for _, tt := range tests {
		if got := joinSubject(tt.subject, tt.body, tt.mode); got != tt.want {
			t.Errorf("joinSubject(%q, %q, %v) = %q, want %q", tt.subject, tt.body, tt.mode, got, tt.want)
		}
	}
}

func TestClean(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		html bool
		want string
	}{
		{"collapse", "  a \t b  \n\n\n c  ", false, "a b\nc"},
		{"signature", "hello\n-- \nAlice\n+1 555", false, "hello"},
		{"dashes without space in plain text stay", "hello\n--\nnext", false, "hello\n--\nnext"},
		{"html signature without space", "hello\n --\nAlice", true, "hello"},
		{"quotes", "yes\n> question?\n >> older", false, "yes"},
		{"attribution en", "ok\nOn Mon, 5 Feb 2024 at 09:12, A <a@x.org> wrote:\n> q", false, "ok"},
		{"attribution wrapped", "ok\nOn Mon, Feb 5, 2024 at 9:12 AM Alice Example <\nalice@example.org> wrote:\n\n> q", false, "ok"},
		{"sentence is not attribution", "On Monday she wrote:\nthe report is done", false, "On Monday she wrote:\nthe report is done"},
		{"attribution without date but quotes follow", "fine\nOn Monday she wrote:\n> x", false, "fine"},
		{"attribution de", "ja\nAm 05.02.2024 um 09:12 schrieb Alice <a@x.de>:\n> x", false, "ja"},
		{"attribution fr", "oui\nLe lun. 5 févr. 2024 à 09:12, Alice <a@x.fr> a écrit :\n> x", false, "oui"},
		{"attribution es", "sí\nEl lun, 5 feb 2024 a las 9:12, Alice escribió:\n> x", false, "sí"},
		{"attribution it", "sì\nIl giorno lun 5 feb 2024 alle ore 09:12 Alice ha scritto:\n> x", false, "sì"},
		{"attribution nl", "ja\nOp ma 5 feb. 2024 om 09:12 schreef Alice <a@x.nl>:\n> x", false, "ja"},
		{"attribution eudora", "ok\nAt 09:12 AM 3/4/2024, Alice wrote:\n>x", false, "ok"},
		{"attribution sv", "ja\nDen 5 feb. 2024 kl. 09:12 skrev Alice <a@x.se>:\n> x", false, "ja"},
		{"attribution da", "ja\nDen man. 5. feb. 2024 kl. 09.12 skrev Alice <a@x.dk>:\n> x", false, "ja"},
		{"attribution pl", "tak\nW dniu 5.02.2024 o 09:12, Alice <a@x.pl> napisał:\n> x", false, "tak"},
		{"attribution cs", "ano\nDne 5. 2. 2024 9:12 napsal(a) Alice <a@x.cz>:\n> x", false, "ano"},
		{"bottom posting", "On Mon, 4 Mar 2024, A wrote:\n> q1\n\nanswer 1\n> q2\nanswer 2", false, "answer 1\nanswer 2"},
		{"attribution and quote on one line", "ok\n On Sat, Mar 9, 2024 at 8:55 AM, A<a@x.org> wrote:   old text", false, "ok"},
		{"gmail forward", "see below\n---------- Forwarded message ---------\nFrom: A <a@x.org>\nDate: Fri, Mar 15\nSubject: s\nTo: B\n\n\nthe code is 1234", false, "see below\nthe code is 1234"},
		{"apple forward", "Begin forwarded message:\n\nFrom: A\nSubject: s\nDate: 15 March\nTo: B\n\nnews", false, "news"},
		{"original message", "paid\n-----Original Message-----\nFrom: x\nold", false, "paid"},
		{"original message de", "ok\n----- Ursprüngliche Nachricht -----\nalt", false, "ok"},
		{"outlook header", "done\n\n________________________________\nFrom: Alice\nSent: Monday\nTo: Bob\n\nold", false, "done"},
		{"outlook header bold", "done\n*From:* Alice\n*Sent:* Monday\nold", false, "done"},
		{"outlook header de", "erledigt\nVon: Alice\nGesendet: Montag\nalt", false, "erledigt"},
		{"from line without sent stays", "From: the lab\nresults are in", false, "From: the lab\nresults are in"},
		{"iphone footer", "yes\nSent from my iPhone", false, "yes"},
		{"android footer", "yes\n\nSent from my Samsung Galaxy smartphone.", false, "yes"},
		{"outlook mobile footer", "yes\nGet Outlook for iOS<https://aka.ms/o0ukef>", false, "yes"},
		{"arabic footer", "نعم\nأُرسلت من الـ iPhone", false, "نعم"},
		{"german footer", "ja\nVon meinem iPhone gesendet", false, "ja"},
		{"sentence about sending stays", "Sent from my office at 5pm, the files are attached", false, "Sent from my office at 5pm, the files are attached"},
		{"everything cleaned falls back", "> only a quote\n> here", false, "> only a quote\n> here"},
		{"unicode spaces and zero width", "a\u00a0\u00a0b\u200bc\r\nd\re", false, "a bc\nd\ne"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, _ := chooseBody(found{body: text{s: tt.in, html: tt.html}}, Options{})
			if got != tt.want {
				t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCutAfter(t *testing.T) {
	t.Parallel()
	cut := []*regexp.Regexp{regexp.MustCompile(`(?i)unsubscribe`), regexp.MustCompile(`DISCLAIMER`)}
	tests := []struct{ in, want string }{
		{"News\nDISCLAIMER: x\nclick to unsubscribe", "News"},
		{"News\nclick to Unsubscribe\nDISCLAIMER", "News\nclick to"},
		{"No match here", "No match here"},
		{"DISCLAIMER only", ""},
	}
	for _, tt := range tests {
		if got, _ := chooseBody(found{body: text{s: tt.in}}, Options{CutAfter: cut}); got != tt.want {
			t.Errorf("cut %q = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestChooseBodyForward(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		main, forward string
		want          string
	}{
		{"main wins", "see below", "forwarded text", "see below"},
		{"empty main", " \n ", "forwarded text", "forwarded text"},
		{"main only footer", "Sent from my iPhone", "forwarded text", "forwarded text"},
		{"both cleaned away", "Sent from my iPhone", "> quoted", "Sent from my iPhone"},
		{"nothing", "", "", ""},
	}
	for _, tt := range tests {
		got, _ := chooseBody(found{body: text{s: tt.main}, forward: text{s: tt.forward}}, Options{})
		if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestUnflow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		delSp bool
		want  string
	}{
		{"a b \nc d\ne", false, "a b c d\ne"},
		{"split wo\nrd", false, "split wo\nrd"},
		{"split wo \nrd", true, "split word"},
		{" From stuffed\n  two", false, "From stuffed\n two"},
		{"para \n-- \nsig", false, "para \n-- \nsig"},
		{"> quoted \n> more\nnot", false, "> quoted more\nnot"},
		{"> quoted \nnew depth", false, "> quoted \nnew depth"},
		{"", false, ""},
	}
	for _, tt := range tests {
		if got := unflow(tt.in, tt.delSp); got != tt.want {
			t.Errorf("unflow(%q, %v) = %q, want %q", tt.in, tt.delSp, got, tt.want)
		}
	}
}

func TestDecodeQP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		bad      int
	}{
		{"caf=C3=A9", "café", 0},
		{"lower =c3=a9", "lower é", 0},
		{"soft=\r\nbreak\r\n", "softbreak\n", 0},
		{"soft= \nbreak", "softbreak", 0},
		{"padding   \nnext", "padding\nnext", 0},
		{"bad =ZZ and =4", "bad =ZZ and =4", 2},
		{"=20\n", " \n", 0},
	}
	for _, tt := range tests {
		got, bad := decodeQP([]byte(tt.in))
		if string(got) != tt.want || bad != tt.bad {
			t.Errorf("decodeQP(%q) = %q, %d; want %q, %d", tt.in, got, bad, tt.want, tt.bad)
		}
	}
}

func TestDecodeBase64(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		bad      int
	}{
		{"aGVsbG8=", "hello", 0},
		{"aGVs\r\nbG8=\r\n", "hello", 0},
		{"aGVsbG8", "hello", 0},
		{"aGk=aGk=", "hihi", 0},
		{"aG!!Vs*bG8=", "hello", 3},
		{"aGVsbG8gd", "hello ", 1},
		{"-_-_", "\xfb\xff\xbf", 0},
	}
	for _, tt := range tests {
		got, bad := decodeBase64([]byte(tt.in))
		if string(got) != tt.want || bad != tt.bad {
			t.Errorf("decodeBase64(%q) = %q, %d; want %q, %d", tt.in, got, bad, tt.want, tt.bad)
		}
	}
}

func TestToUTF8(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, label, want string
		warn            bool
	}{
		{"plain", "", "plain", false},
		{"caf\xe9", "", "café", false},
		{"caf\xc3\xa9", "", "café", false},
		{"caf\xe9", "us-ascii", "café", true},
		{"\x93quoted\x94 \x80", "iso-8859-1", "“quoted” €", false},
		{"caf\xc3\xa9 \xe9", "utf-8", "café é", true},
		{"\xa4", "iso-8859-15", "€", false},
		{"\x82\xa0", "shift_jis", "あ", false},
		{"caf\xe9", "x-nonsense", "café", true},
	}
	for _, tt := range tests {
		w := &walker{}
		got := w.toUTF8([]byte(tt.in), tt.label, "1")
		if got != tt.want || (len(w.warnings) > 0) != tt.warn {
			t.Errorf("toUTF8(%q, %q) = %q, warnings %q; want %q, warn %v", tt.in, tt.label, got, w.warnings, tt.want, tt.warn)
		}
	}
}

func TestHTMLToText(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"paragraphs with attributes", `<p class="x">one</p><p style='a:b'>two</p>`, "one\ntwo"},
		{"br variants", "a<br/>b<BR >c<br clear=all>d", "a\nb\nc\nd"},
		{"divs", "<div>a</div><div>b</div>", "a\nb"},
		{"list", "<ul><li>x</li><li>y</ul>", "- x\n- y"},
		{"entities", "a&amp;b &lt;c&gt; &nbsp;d &#233; &#x20AC; &eacute;", "a&b <c> d é € é"},
		{"stray brackets", "if a < b and c > d", "if a < b and c > d"},
		{"comment", "a<!-- <p>hidden</p> -->b", "ab"},
		{"unclosed comment", "a<!-- hidden", "a"},
		{"style and script", "<style>p>b{}</style>a<script>x<y</script>b", "ab"},
		{"unclosed style is ignored", "<style>a", "a"},
		{"head", "<html><head><meta charset=utf-8><title>T</title></head><body>x</body>", "x"},
		{"link", `<a href="https://x.org/p?a=1&amp;b=2">go</a>`, "go <https://x.org/p?a=1&b=2>"},
		{"link same as text", `<a href="http://www.x.org/">www.x.org</a>`, "www.x.org"},
		{"mailto", `<a href="mailto:a@x.org">write</a> now`, "write now"},
		{"anchor without href", `<a name="top"></a>after`, "after"},
		{"image link", `<a href="https://x.org"><img src="a.png" alt="A"></a>`, ""},
		{"quote in attribute", `<a title="a>b" href="https://x.org/">t</a>`, "t <https://x.org/>"},
		{"cite blockquote", `yes<blockquote type="cite">old<br>older</blockquote>after`, "yes\n> old\n> older\nafter"},
		{"plain blockquote", `<blockquote>quoted speech</blockquote>`, "quoted speech"},
		{"pre", "<pre>a\n  b</pre>", "a\nb"},
		{"table", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"},
		{"doctype and pi", "<!DOCTYPE html><?xml x?>t", "t"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := collapse(strings.Split(normalize(htmlToText(tt.in, true)), "\n"))
			if got != tt.want {
				t.Errorf("htmlToText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestHTMLLinksHidden checks the default: a link is its text alone.
func TestHTMLLinksHidden(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`<a href="https://x.org/p?a=1">go</a> now`, "go now"},
		{`see <a href="https://x.org/">https://x.org/</a>`, "see https://x.org/"},
		{`<a href="https://x.org/"><img src="a.png"></a>after`, "after"},
		{`text with a &lt;https://x.org/&gt; typed in it`, "text with a <https://x.org/> typed in it"},
	}
	for _, tt := range tests {
		got := collapse(strings.Split(normalize(htmlToText(tt.in, false)), "\n"))
		if got != tt.want {
			t.Errorf("htmlToText(%q, false) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMetaCharset(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-2">`, "iso-8859-2"},
		{`<meta charset="utf-8">`, "utf-8"},
		{`<p>no</p>`, ""},
	}
	for _, tt := range tests {
		if got := metaCharset([]byte(tt.in)); got != tt.want {
			t.Errorf("metaCharset(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMediaTypeParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, boundary string
	}{
		{"quoted", `multipart/mixed; boundary="a=b"`, "a=b"},
		{"unquoted equals sign", `multipart/mixed; boundary=----=_Part_1`, "----=_Part_1"},
		{"rfc 2231 continuation", `multipart/mixed; boundary*0="----=_Part"; boundary*1="_77"`, "----=_Part_77"},
		{"rfc 2231 continuation, malformed elsewhere", `multipart/mixed; boundary*1="_77"; boundary*0=----=_Part; x`, "----=_Part_77"},
		{"folded after the equals sign", "multipart/mixed; boundary= \"abc-def\"", "abc-def"},
	}
	for _, tt := range tests {
		if _, params := mediaType(tt.in, ""); params["boundary"] != tt.boundary {
			t.Errorf("%s: boundary %q, want %q", tt.name, params["boundary"], tt.boundary)
		}
	}
}
