package mailtext

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// text is a body candidate, already decoded to UTF-8 and, for HTML,
// converted to plain text; it is not cleaned yet.
type text struct {
	s     string
	html  bool
	named bool   // a document (a file name, an attachment, an invite), not a body piece
	file  string // how Result.Omitted names the part when it is not the body
}

func (t text) blank() bool { return strings.TrimSpace(t.s) == "" }

// found is what a MIME subtree offers: its body text and, as a fallback,
// the text of the first message it forwards.
type found struct {
	body    text
	forward text
}

// walker visits the MIME tree once, streaming, and collects warnings and
// what the text leaves out.
type walker struct {
	showLinks   bool // Options.ShowLinks
	warnings    []string
	truncWarned bool
	omitted     []string // parts not made text: Result.Omitted
	files       []string // text documents seen; omitted unless one is the body
	cut         bool     // a MIME limit stopped the walk: text may follow
}

// omit records a part that does not become text.
func (w *walker) omit(ct, name string) {
	if len(w.omitted) < maxWarnings {
		w.omitted = append(w.omitted, describePart(ct, name))
	}
}

// file records a text document, omitted unless it becomes the body.
func (w *walker) file(desc string) {
	if len(w.files) < maxWarnings {
		w.files = append(w.files, desc)
	}
}

// describePart names a part for people: its file name and media type.
func describePart(ct, name string) string {
	ct = truncateUTF8(ct, maxNameBytes)
	if name != "" {
		return fmt.Sprintf("%q (%s)", truncateUTF8(name, maxNameBytes), ct)
	}
	return ct
}

// maxNameBytes bounds a file name or media type quoted in a report.
const maxNameBytes = 100

// limit notes, with a warning, that a MIME limit hid the rest of the mail.
func (w *walker) limit(format string, args ...any) {
	w.cut = true
	w.warn(format, args...)
}

// notOmitted are media types that carry no content a reader misses:
// signatures and the machine-readable halves of reports.
var notOmitted = map[string]bool{
	"application/pgp-signature": true, "application/pkcs7-signature": true,
	"application/x-pkcs7-signature": true, "application/pgp-keys": true,
	"message/delivery-status": true, "message/disposition-notification": true,
	"text/rfc822-headers": true, "message/feedback-report": true,
}

func (w *walker) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if len(w.warnings) < maxWarnings && !slices.Contains(w.warnings, msg) {
		w.warnings = append(w.warnings, msg)
	}
}

// truncated notes, once, that the mail ends before its MIME structure does.
func (w *walker) truncated(path string) {
	if !w.truncWarned {
		w.truncWarned = true
		w.warn("part %s: mail ends before the final MIME boundary", path)
	}
}

// entity dispatches one MIME entity on its type; defType applies when the
// entity has no Content-Type.
func (w *walker) entity(h textproto.Header, body io.Reader, path string, depth int, defType string) found {
	if depth > maxDepth {
		w.limit("part %s: MIME nesting deeper than %d: ignored", path, maxDepth)
		return found{}
	}
	ct, params := mediaType(h.Get("Content-Type"), defType)
	disp, name := disposition(h, params)
	switch {
	case ct == "message/rfc822" || ct == "message/global":
		// Forwards are often marked as attachments; still a fallback body.
		inner := w.message(h, body, path, depth)
		if !inner.body.blank() {
			return found{forward: inner.body}
		}
		return found{forward: inner.forward}
	case isCalendar(ct, name):
		f := w.leaf(h, "text/calendar", params, body, path)
		f.body.named, f.body.file = true, describePart(ct, name)
		w.file(f.body.file)
		return f
	case isTNEF(ct, name):
	case disp == "attachment" && (ct == "text/plain" || isTextFile(ct, name)):
		// Used only when the mail has no other text.
		f := w.leaf(h, "text/plain", params, body, path)
		f.body.named, f.body.file = true, describePart(ct, name)
		w.file(f.body.file)
		return f
	case disp == "attachment":
	case strings.HasPrefix(ct, "multipart/"):
		return w.multipart(ct, params, body, path, depth)
	case ct == "text/plain" || ct == "text/html":
		f := w.leaf(h, ct, params, body, path)
		if f.body.named = name != "" && disp != "inline"; f.body.named {
			f.body.file = describePart(ct, name)
			w.file(f.body.file)
		}
		return f
	case notOmitted[ct]:
		return found{}
	}
	w.omit(ct, name)
	return found{}
}

// isTextFile reports a plain-text file sent under a generic type.
func isTextFile(ct, name string) bool {
	return strings.HasSuffix(strings.ToLower(name), ".txt") && (ct == "application/octet-stream" || ct == "text/plain")
}

func isTNEF(ct, name string) bool {
	return ct == "application/ms-tnef" || ct == "application/vnd.ms-tnef" ||
		strings.EqualFold(name, "winmail.dat")
}

// message reads an attached message/rfc822 entity.
func (w *walker) message(h textproto.Header, body io.Reader, path string, depth int) found {
	if enc := transferEncoding(h.Get("Content-Transfer-Encoding")); enc != "identity" {
		// Not allowed by RFC 2046 but seen: decode in memory, bounded.
		dec, ok := w.decodePart(w.readPart(body, path), enc, path)
		if !ok {
			return found{}
		}
		body = bytes.NewReader(dec)
	}
	ih, ibody, _, err := readHeader(bufio.NewReader(body), w)
	if err != nil {
		w.warn("part %s: reading forwarded message: %v", path, err)
		return found{}
	}
	return w.entity(ih, ibody, path, depth+1, "text/plain")
}

// leaf reads a text/plain or text/html part.
func (w *walker) leaf(h textproto.Header, ct string, params map[string]string, body io.Reader, path string) found {
	enc := transferEncoding(h.Get("Content-Transfer-Encoding"))
	if _, _, ok := decodeTransfer(enc, nil); !ok {
		w.warn("part %s: unknown transfer encoding %q: part skipped", path, enc)
		return found{}
	}
	data, _ := w.decodePart(w.readPart(body, path), enc, path)
	return found{body: w.textOf(data, ct, params, path)}
}

// decodePart undoes the transfer encoding, warning about broken input.
func (w *walker) decodePart(raw []byte, enc, path string) ([]byte, bool) {
	data, bad, ok := decodeTransfer(enc, raw)
	if !ok {
		w.warn("part %s: unknown transfer encoding %q: part skipped", path, enc)
		return nil, false
	}
	if bad > 0 {
		w.warn("part %s: broken %s: %d bad bytes", path, enc, bad)
	}
	return data, true
}

// textOf turns decoded bytes into body text of the given media type.
func (w *walker) textOf(data []byte, ct string, params map[string]string, path string) text {
	label := params["charset"]
	isHTML := ct == "text/html"
	if isHTML && label == "" {
		label = metaCharset(data)
	}
	s := normalize(w.toUTF8(data, label, path))
	switch {
	case ct == "text/calendar":
		s = w.calendarPart([]byte(s), path)
	case isHTML:
		s = htmlToText(s, w.showLinks)
	case strings.EqualFold(params["format"], "flowed"):
		s = unflow(s, strings.EqualFold(params["delsp"], "yes"))
	}
	if !isHTML {
		var files []string
		if s, files = dropUUBlocks(s); len(files) > 0 {
			w.warn("part %s: inline uuencoded file %q dropped", path, files[0])
		}
	}
	return text{s: truncateUTF8(s, maxTextBytes), html: isHTML}
}

// readPart reads at most maxPartBytes of a part; the rest is left for the
// multipart reader to skip.
func (w *walker) readPart(body io.Reader, path string) []byte {
	b, err := io.ReadAll(io.LimitReader(body, maxPartBytes+1))
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		w.truncated(path)
	case err != nil:
		w.warn("part %s: %v", path, err)
	}
	if len(b) > maxPartBytes {
		w.warn("part %s: longer than %d bytes: rest ignored", path, maxPartBytes)
		b = b[:maxPartBytes]
	}
	return b
}
