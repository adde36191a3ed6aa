package mailtext

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func extract(t *testing.T, mail string) *Result {
	t.Helper()
	res, err := Extract(strings.NewReader(strings.ReplaceAll(mail, "\n", "\r\n")), Options{})
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	return res
}

func TestExtractNotMail(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "\r\n\r\nbody only", "just some text\nwithout header\n", " leading: space\n\nx"} {
		if _, err := Extract(strings.NewReader(in), Options{}); !errors.Is(err, ErrNotMail) {
			t.Errorf("Extract(%q) error = %v, want ErrNotMail", in, err)
		}
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestExtractReadError(t *testing.T) {
	t.Parallel()
	_, err := Extract(failingReader{}, Options{})
	if !errors.Is(err, ErrNotMail) || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("error = %v", err)
	}
}

func TestExtractMboxFromLine(t *testing.T) {
	t.Parallel()
	res := extract(t, "From alice@example.org Mon Feb  5 09:12:44 2024\nSubject: s\n\nbody\n")
	if res.Text != "s\nbody" {
		t.Errorf("Text = %q", res.Text)
	}
}

func TestExtractHeaderWithoutBlankLine(t *testing.T) {
	t.Parallel()
	res := extract(t, "Subject: disk\nthe disk is full\nreally\n")
	if res.Text != "disk\nthe disk is full\nreally" || len(res.Warnings) != 1 {
		t.Errorf("Text = %q, warnings %q", res.Text, res.Warnings)
	}
}

func TestExtractSubjectUnknownCharset(t *testing.T) {
	t.Parallel()
	res := extract(t, "Subject: =?x-unknown-cs?Q?abc?= =?utf-8?Q?caf=C3=A9?= =?utf-8?Q?_ok?=\n\n")
	if res.Subject != "=?x-unknown-cs?Q?abc?= café ok" || len(res.Warnings) == 0 {
		t.Errorf("Subject = %q, warnings %q", res.Subject, res.Warnings)
	}
}

func TestExtractSubjectRaw8bit(t *testing.T) {
	t.Parallel()
	res := extract(t, "Subject: M\xfcnchen\t calling\n\nx")
	if res.Subject != "München calling" {
		t.Errorf("Subject = %q", res.Subject)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestExtractConsumesWholeInput(t *testing.T) {
	t.Parallel()
	for _, first := range []bool{false, true} {
		mail := attachmentMail(1<<20, first)
		cr := &countingReader{r: bytes.NewReader(mail)}
		res, err := Extract(cr, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if cr.n != len(mail) {
			t.Errorf("attachment first %v: read %d of %d bytes", first, cr.n, len(mail))
		}
		if res.Text != "Scan\nThe scan you asked for is attached." || len(res.Warnings) != 0 {
			t.Errorf("attachment first %v: Text = %q, warnings %q", first, res.Text, res.Warnings)
		}
	}
}

func TestExtractCapsHugeText(t *testing.T) {
	t.Parallel()
	line := strings.Repeat("word ", 15) + "\n"
	mail := "Subject: big\n\n" + strings.Repeat(line, 3*maxPartBytes/len(line))
	res := extract(t, mail)
	if len(res.Text) > maxTextBytes+len("big\n") {
		t.Errorf("Text is %d bytes", len(res.Text))
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "longer than") {
		t.Errorf("warnings %q", res.Warnings)
	}
}

func TestExtractDeepNesting(t *testing.T) {
	t.Parallel()
	var sb strings.Builder
	sb.WriteString("Subject: deep\n")
	for i := range 30 {
		sb.WriteString("Content-Type: multipart/mixed; boundary=\"b" + string(rune('A'+i)) + "\"\n\n")
		sb.WriteString("--b" + string(rune('A'+i)) + "\n")
	}
	sb.WriteString("Content-Type: text/plain\n\nburied\n")
	res := extract(t, sb.String())
	if res.Text != "deep" || !strings.Contains(strings.Join(res.Warnings, "|"), "nesting deeper") {
		t.Errorf("Text = %q, warnings %q", res.Text, res.Warnings)
	}
}

func TestExtractJunkBetweenParts(t *testing.T) {
	t.Parallel()
	res := extract(t, `Subject: j
Content-Type: multipart/mixed; boundary=x

--x
this part has no header block at all
--x
Content-Type: text/plain

second part
--x--
`)
	if res.Text != "j\nsecond part" || len(res.Warnings) != 1 {
		t.Errorf("Text = %q, warnings %q", res.Text, res.Warnings)
	}
}

func TestExtractWrongBoundary(t *testing.T) {
	t.Parallel()
	res := extract(t, "Subject: w\nContent-Type: multipart/mixed; boundary=nothere\n\nplain words after all\n")
	if res.Text != "w\nplain words after all" || len(res.Warnings) != 2 {
		t.Errorf("Text = %q, warnings %q", res.Text, res.Warnings)
	}
}

func TestExtractNoBoundaryAnywhere(t *testing.T) {
	t.Parallel()
	res := extract(t, "Subject: n\nContent-Type: multipart/mixed\n\njust text\n")
	if res.Text != "n\njust text" || len(res.Warnings) != 1 {
		t.Errorf("Text = %q, warnings %q", res.Text, res.Warnings)
	}
}

func TestExtractBase64Forward(t *testing.T) {
	t.Parallel()
	// message/rfc822 may not be base64 (RFC 2046), yet some clients do it.
	res := extract(t, `Subject: Fwd
Content-Type: multipart/mixed; boundary=o

--o
Content-Type: message/rfc822
Content-Transfer-Encoding: base64

U3ViamVjdDogaW5uZXIKCmlubmVyIGJvZHkK
--o--
`)
	if res.Text != "Fwd\ninner body" {
		t.Errorf("Text = %q, warnings %q", res.Text, res.Warnings)
	}
}

func TestExtractAlternativeOrder(t *testing.T) {
	t.Parallel()
	res := extract(t, `Subject: a
Content-Type: multipart/alternative; boundary=q

--q
Content-Type: text/html

<p>from <b>html</b></p>
--q
Content-Type: text/plain

from plain
--q--
`)
	if res.Text != "a\nfrom plain" {
		t.Errorf("Text = %q", res.Text)
	}
}

// TestExtractMixedJoinsInlineText checks that text split around inline
// images (Apple Mail) is joined, while a named text file is not.
func TestExtractMixedJoinsInlineText(t *testing.T) {
	t.Parallel()
	res := extract(t, `Subject: a
Content-Type: multipart/mixed; boundary=q

--q
Content-Type: text/plain; name=log.txt

log line
--q
Content-Type: text/plain

before the photo
--q
Content-Type: image/jpeg; name=IMG_1.jpg
Content-Disposition: inline; filename=IMG_1.jpg
Content-Transfer-Encoding: base64

/9j/4AAQ
--q
Content-Type: text/plain

after the photo
--q
Content-Type: text/plain; name=notes.txt
Content-Disposition: attachment; filename=notes.txt

attached notes
--q--
`)
	if res.Text != "a\nbefore the photo\nafter the photo" {
		t.Errorf("Text = %q", res.Text)
	}
}

func TestExtractInvalidContentTypeParams(t *testing.T) {
	t.Parallel()
	// An unquoted "=" in the boundary breaks mime.ParseMediaType.
	res := extract(t, `Subject: p
Content-Type: multipart/mixed; boundary=----=_NextPart_000_0001; charset=utf-8

------=_NextPart_000_0001
Content-Type: text/plain; charset=utf-8

salvaged
------=_NextPart_000_0001--
`)
	if res.Text != "p\nsalvaged" {
		t.Errorf("Text = %q, warnings %q", res.Text, res.Warnings)
	}
}

func TestExtractOutputInvariants(t *testing.T) {
	t.Parallel()
	res := extract(t, "Subject: \x01x\x7f\n\n\x00a\x1b[31m  \n\n\nb\u2028c\n")
	if res.Subject != "x" || res.Text != "x\na[31m\nb\nc" {
		t.Errorf("Subject %q Text %q", res.Subject, res.Text)
	}
}

func TestExtractPathologicalHTML(t *testing.T) {
	t.Parallel()
	patterns := []string{"<style>", "<a href='", "<a x=\"<", "<!x", "<p", "&amp;", "<blockquote type=cite>", "<a href=http://x>", "<li>"}
	for _, p := range patterns {
		body := strings.Repeat(p, maxPartBytes/len(p))
		mail := "Subject: p\r\nContent-Type: text/html\r\n\r\n" + body
		start := time.Now()
		res, err := Extract(strings.NewReader(mail), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%q repeated took %v", p, d)
		}
		if len(res.Text) > maxTextBytes+2 {
			t.Errorf("%q repeated: Text is %d bytes", p, len(res.Text))
		}
	}
}

func TestExtractOtherBoundaryInBody(t *testing.T) {
	t.Parallel()
	res := extract(t, `Subject: a
Content-Type: multipart/mixed; boundary="AAAA"

--BBBB
Content-Type: text/plain

the text
--BBBB--
`)
	if res.Text != "a\nthe text" {
		t.Errorf("Text = %q, warnings %q", res.Text, res.Warnings)
	}
}

// TestPartLimit shows that text past the 1,000th part is announced, in the
// text and in Omitted, while the text before it is kept.
func TestPartLimit(t *testing.T) {
	t.Parallel()
	var sb strings.Builder
	sb.WriteString("Subject: many\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n")
	sb.WriteString("--b\r\n\r\nFirst part has the text.\r\n")
	for range maxParts {
		sb.WriteString("--b\r\nContent-Type: text/plain\r\n\r\n\r\n")
	}
	sb.WriteString("--b\r\n\r\nLast part is past the limit.\r\n--b--\r\n")
	res, err := Extract(strings.NewReader(sb.String()), Options{Subject: SubjectIgnore})
	if err != nil {
		t.Fatal(err)
	}
	if want := "First part has the text. " + cutMark; res.Text != want {
		t.Errorf("Text = %q, want %q", res.Text, want)
	}
	if len(res.Omitted) != 1 || !strings.Contains(res.Omitted[0], "MIME limits") {
		t.Errorf("Omitted = %q, want the MIME limits named", res.Omitted)
	}
}
