package mailtext

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/emersion/go-message/textproto"
)

var errLineTooLong = errors.New("line too long")

// readTopHeader reads the mail's own header. Blank or white-space-only
// lines in front (a client's stray padding) and an mbox "From " line are
// skipped; no header field at all means the input is not a mail.
func readTopHeader(br *bufio.Reader, w *walker) (textproto.Header, io.Reader, error) {
	if n := skipBlankLines(br); n > 0 {
		w.warn("header: %d blank lines before the first field skipped", n)
	}
	if b, _ := br.Peek(5); string(b) == "From " {
		if _, err := readLine(br, maxHeaderBytes); err != nil && err != io.EOF {
			return textproto.Header{}, nil, fmt.Errorf("%w: %w", ErrNotMail, err)
		}
	}
	h, body, n, err := readHeader(br, w)
	if err != nil {
		return h, nil, fmt.Errorf("%w: reading header: %w", ErrNotMail, err)
	}
	if n == 0 {
		return h, nil, fmt.Errorf("%w: no header field", ErrNotMail)
	}
	return h, body, nil
}

// maxLeadingBlank bounds the blank lines skipped before the header.
const maxLeadingBlank = 100

// skipBlankLines consumes the white-space-only lines at the start of br and
// returns how many there were. A line that has any other character, or one
// longer than the buffer, is left unread.
func skipBlankLines(br *bufio.Reader) int {
	n := 0
	for n < maxLeadingBlank {
		b, _ := br.Peek(br.Size())
		end := bytes.IndexByte(b, '\n')
		if end < 0 || len(bytes.TrimSpace(b[:end])) > 0 {
			return n
		}
		br.Discard(end + 1)
		n++
	}
	return n
}

// readHeader reads header fields up to the blank line. Unlike a strict
// parser it stops at the first line that is not a field and hands that line
// back as the start of the body, so a mail missing its blank line keeps its
// text. It returns the number of fields read; err is only an I/O error.
func readHeader(br *bufio.Reader, w *walker) (textproto.Header, io.Reader, int, error) {
	var raw []byte
	fields := 0
	var body io.Reader = br
	for {
		line, err := readLine(br, maxHeaderBytes-len(raw))
		if err != nil && err != io.EOF && err != errLineTooLong {
			return textproto.Header{}, nil, 0, err
		}
		if isBlankLine(line) {
			break
		}
		cont := line[0] == ' ' || line[0] == '\t'
		if err == errLineTooLong || (cont && fields == 0) || (!cont && !isFieldLine(line)) {
			if fields > 0 {
				w.warn("header: %q is not a header field: read as body", clip(line, 40))
			}
			body = io.MultiReader(bytes.NewReader(line), br)
			break
		}
		if !cont {
			fields++
		}
		raw = append(raw, line...)
		if !bytes.HasSuffix(raw, []byte("\n")) {
			raw = append(raw, '\n')
		}
		if err == io.EOF {
			break
		}
	}
	raw = append(raw, '\n')
	// A reader sized to the header, not bufio's 4 KiB: this runs for every
	// mail and MIME part, and the raw header is usually a few hundred bytes.
	h, err := textproto.ReadHeader(bufio.NewReaderSize(bytes.NewReader(raw), min(len(raw), 4096)))
	if err != nil {
		w.warn("header: %v", err)
	}
	return h, body, fields, nil
}

// readLine reads one line with its ending, at most about limit bytes.
func readLine(br *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		line = append(line, frag...)
		if err != bufio.ErrBufferFull {
			return line, err
		}
		if len(line) >= limit {
			return line, errLineTooLong
		}
	}
}

func isBlankLine(line []byte) bool {
	return len(bytes.TrimRight(line, "\r\n")) == 0
}

// isFieldLine reports whether line looks like "Key: value".
func isFieldLine(line []byte) bool {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	key := bytes.TrimRight(line[:i], " \t")
	if len(key) == 0 {
		return false
	}
	for _, c := range key {
		if c < 33 || c > 126 {
			return false
		}
	}
	return true
}

// mediaType returns the lower-case media type and its parameters, salvaging
// what it can from a malformed header (an unquoted "=" in a boundary is
// common in the wild).
func mediaType(v, def string) (string, map[string]string) {
	if strings.TrimSpace(v) == "" {
		return def, map[string]string{}
	}
	t, params, err := mime.ParseMediaType(v)
	if err == nil {
		return t, params
	}
	t, rest, _ := strings.Cut(v, ";")
	t = strings.ToLower(strings.TrimSpace(t))
	if !strings.Contains(t, "/") {
		t = "text/plain" // RFC 2045 5.2: an invalid Content-Type means plain text
	}
	return t, lenientParams(rest)
}

// lenientParams parses "; a=b; c="d"" without insisting on RFC 2045 tokens.
// RFC 2231 continuations (boundary*0="…"; boundary*1="…") are joined in
// order; a value may then be split over folded lines in any way.
func lenientParams(s string) map[string]string {
	params := map[string]string{}
	pieces := map[string][]string{}
	for _, kv := range strings.Split(s, ";") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.TrimSpace(v)
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		if name, n, ok := continuation(k); ok {
			if n < maxContinuations {
				p := pieces[name]
				for len(p) <= n {
					p = append(p, "")
				}
				p[n] = v
				pieces[name] = p
			}
			continue
		}
		if _, dup := params[k]; k != "" && !dup {
			params[k] = v
		}
	}
	for name, p := range pieces {
		if _, dup := params[name]; !dup {
			params[name] = strings.Join(p, "")
		}
	}
	return params
}

// maxContinuations bounds the pieces of one RFC 2231 parameter.
const maxContinuations = 64

// continuation splits an RFC 2231 key "name*N" (or "name*N*") into the
// name and N.
func continuation(k string) (string, int, bool) {
	name, num, ok := strings.Cut(strings.TrimSuffix(k, "*"), "*")
	if !ok || name == "" || num == "" || len(num) > 2 {
		return "", 0, false
	}
	n := 0
	for _, c := range num {
		if c < '0' || c > '9' {
			return "", 0, false
		}
		n = n*10 + int(c-'0')
	}
	return name, n, true
}

// disposition returns the lower-case disposition ("inline", "attachment" or
// "") and the file name the part carries, if any.
func disposition(h textproto.Header, ctParams map[string]string) (string, string) {
	v := h.Get("Content-Disposition")
	d, params := mediaType(v, "")
	if d == "text/plain" { // mediaType's fallback for a value without "/"
		d, _, _ = strings.Cut(v, ";")
		d = strings.ToLower(strings.TrimSpace(d))
	}
	name := params["filename"]
	if name == "" {
		name = ctParams["name"]
	}
	return d, name
}

func clip(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return string(bytes.TrimRight(b, "\r\n"))
}
