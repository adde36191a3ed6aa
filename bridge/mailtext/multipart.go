package mailtext

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/emersion/go-message/textproto"
)

const (
	sniffBytes  = 16 << 10 // searched for a boundary the header forgot
	maxBadLines = 100000   // junk lines skipped between parts
)

// multipart walks the parts of a multipart entity, stopping as soon as it
// has a body it will not replace.
func (w *walker) multipart(ct string, params map[string]string, body io.Reader, path string, depth int) found {
	rec := &prefixRecorder{r: body, max: maxTextBytes}
	var src io.Reader = rec
	boundary := params["boundary"]
	if strings.ContainsAny(boundary, " \t") {
		// A boundary folded inside its quotes keeps the folding white space
		// after unfolding: the delimiter lines show which one was meant.
		br := bufio.NewReaderSize(rec, sniffBytes)
		peek, _ := br.Peek(sniffBytes)
		if joined := strings.Join(strings.Fields(boundary), ""); !hasDelimiter(peek, boundary) && hasDelimiter(peek, joined) {
			w.warn("part %s: boundary %q folded: using %q", path, boundary, joined)
			boundary = joined
		}
		src = br
	}
	if boundary == "" {
		br := bufio.NewReaderSize(rec, sniffBytes)
		boundary = sniffBoundary(br)
		if boundary == "" {
			w.warn("part %s: %s without boundary: read as plain text", path, ct)
			return found{body: w.textOf(w.readPart(br, path), "text/plain", params, path)}
		}
		w.warn("part %s: %s without boundary parameter: using %q found in the body", path, ct, boundary)
		src = br
	}
	defType := "text/plain"
	if ct == "multipart/digest" {
		defType = "message/rfc822"
	}
	alt := ct == "multipart/alternative"
	if alt {
		// The other forms of one text (an invite beside its HTML) are not
		// left out of anything.
		defer func(n int) { w.files = w.files[:n] }(len(w.files))
	}
	f, parts := w.parts(textproto.NewMultipartReader(src, boundary), alt, path, depth, defType)
	if parts == 0 {
		// The parts may use another boundary than the header names.
		other := sniffBoundary(bufio.NewReaderSize(bytes.NewReader(rec.buf), sniffBytes))
		if other != "" && other != boundary {
			w.warn("part %s: boundary %q not found: using %q found in the body", path, boundary, other)
			f, parts = w.parts(textproto.NewMultipartReader(bytes.NewReader(rec.buf), other), alt, path, depth, defType)
		}
	}
	if parts == 0 && len(bytes.TrimSpace(rec.buf)) > 0 {
		w.warn("part %s: no MIME part found: read as plain text", path)
		f.body = w.textOf(rec.buf, "text/plain", params, path)
	}
	return f
}

// parts iterates over the parts and merges their findings: in an
// alternative the plain text wins; elsewhere the first text that has words,
// followed by the later inline texts (Apple Mail splits a text around the
// images placed in it).
func (w *walker) parts(mr *textproto.MultipartReader, alt bool, path string, depth int, defType string) (found, int) {
	var f found
	parts, bad := 0, 0
	for parts < maxParts {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			// Each failed call has consumed one line: retrying skips junk up
			// to the next boundary. The reader only reports EOF as text.
			if strings.Contains(err.Error(), "EOF") || bad >= maxBadLines {
				w.truncated(path)
				break
			}
			if bad == 0 {
				w.warn("part %s: %v", path, err)
			}
			bad++
			continue
		}
		bad = 0
		parts++
		child := w.entity(p.Header, p, fmt.Sprintf("%s.%d", path, parts), depth+1, defType)
		if f.forward.blank() {
			f.forward = child.forward
		}
		if alt {
			if done := f.alternative(child.body); done {
				return f, parts
			}
			continue
		}
		f.append(child.body)
	}
	if parts >= maxParts {
		if _, err := mr.NextPart(); err != io.EOF {
			w.limit("part %s: more than %d parts: rest ignored", path, maxParts)
		}
	}
	return f, parts
}

// alternative takes t unless a plain text is already chosen; done says
// nothing later can replace the choice.
func (f *found) alternative(t text) (done bool) {
	plain := !f.body.blank() && !f.body.html && !f.body.named
	if t.blank() || plain || t.named && !f.body.blank() {
		return plain
	}
	f.body = t
	return !t.html && !t.named
}

// append adds an inline piece of text to the body of a multipart/mixed or
// related; a named text part is kept only when there is no other body.
func (f *found) append(t text) {
	switch {
	case t.blank():
	case f.body.blank():
		f.body = t
	case t.named || f.body.named:
		if f.body.named && !t.named {
			f.body = t
		}
	case len(f.body.s) < maxTextBytes:
		f.body.s = truncateUTF8(f.body.s+"\n"+t.s, maxTextBytes)
		f.body.html = f.body.html || t.html
	}
}

// sniffBoundary looks for a line "--boundary" followed by a header field,
// as a multipart body without its boundary parameter has, or followed by a
// blank line when the same boundary also closes the multipart further on.
// A line of dashes alone is an underline, never a guess.
func sniffBoundary(br *bufio.Reader) string {
	data, _ := br.Peek(sniffBytes)
	lines := bytes.Split(data, []byte("\n"))
	for i := 0; i+1 < len(lines); i++ {
		l := bytes.TrimRight(lines[i], " \t\r")
		if len(l) < 3 || len(l) > 72 || !bytes.HasPrefix(l, []byte("--")) || !isBoundary(l[2:]) ||
			len(bytes.Trim(l, "-")) == 0 {
			continue
		}
		b := l[2:]
		next := lines[i+1]
		if isFieldLine(next) || isBlankLine(next) && hasCloseDelimiter(lines[i+1:], b) {
			return string(b)
		}
	}
	return ""
}

// hasDelimiter reports whether data has a line "--boundary" (or its
// closing form) in it.
func hasDelimiter(data []byte, boundary string) bool {
	for _, l := range bytes.Split(data, []byte("\n")) {
		l = bytes.TrimRight(l, " \t\r")
		if rest, ok := bytes.CutPrefix(l, []byte("--"+boundary)); ok && (len(rest) == 0 || string(rest) == "--") {
			return true
		}
	}
	return false
}

// hasCloseDelimiter reports whether one of lines is "--boundary--".
func hasCloseDelimiter(lines [][]byte, boundary []byte) bool {
	for _, l := range lines {
		l = bytes.TrimRight(l, " \t\r")
		if len(l) == len(boundary)+4 && bytes.HasPrefix(l, []byte("--")) && bytes.HasSuffix(l, []byte("--")) &&
			bytes.Equal(l[2:len(l)-2], boundary) {
			return true
		}
	}
	return false
}

// isBoundary reports whether b uses only RFC 2046 bchars (minus space).
func isBoundary(b []byte) bool {
	for _, c := range b {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("'()+_,-./:=?", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// prefixRecorder keeps the first bytes read through it, so that a multipart
// body with no usable part can still be read as text.
type prefixRecorder struct {
	r   io.Reader
	buf []byte
	max int
}

func (p *prefixRecorder) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if room := p.max - len(p.buf); room > 0 && n > 0 {
		p.buf = append(p.buf, b[:min(n, room)]...)
	}
	return n, err
}
