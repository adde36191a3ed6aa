// Package mailtext turns a raw RFC 5322 mail into the short, clean text a
// person would have typed: the body a human wrote, without quoting,
// signatures, attachments, markup or boilerplate (banners, footers,
// disclaimers, hidden preheaders), ready to be made into SMS. A calendar
// invite becomes one line; what the text leaves out is listed for the
// sender's report.
//
// It knows nothing of SMS encodings: Result.Text is plain UTF-8.
package mailtext

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
)

// SubjectMode says what happens to the mail's subject.
type SubjectMode uint8

const (
	SubjectPrefix SubjectMode = iota // subject on the first line, then the body
	SubjectIgnore                    // body only
)

var subjectModeNames = [...]string{"prefix", "ignore"}

func (m SubjectMode) String() string {
	if int(m) < len(subjectModeNames) {
		return subjectModeNames[m]
	}
	return fmt.Sprintf("SubjectMode(%d)", m)
}

// ParseSubjectMode parses the configuration value "prefix" or "ignore".
// The empty string is the documented default, "prefix".
func ParseSubjectMode(s string) (SubjectMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "prefix", "":
		return SubjectPrefix, nil
	case "ignore":
		return SubjectIgnore, nil
	}
	return 0, fmt.Errorf("mailtext: unknown subject mode %q (want \"prefix\" or \"ignore\")", s)
}

// Options tune Extract.
type Options struct {
	Subject  SubjectMode
	CutAfter []*regexp.Regexp // text from the first match on is dropped
	// Drop removes each paragraph one matches (the line, in a paragraph
	// longer than 500 bytes), as the built-in rules remove external-sender
	// banners and "view in browser" lines.
	Drop []*regexp.Regexp
	URLs URLMode // how web addresses are written
	// ShowLinks writes an HTML link's address after its text, "text <url>",
	// where the text does not already show it. Off, a link is its text
	// alone: addresses are long, cost SMS parts and are rarely typed in.
	ShowLinks bool
}

// Result is what Extract found in a mail.
type Result struct {
	Text      string   // the SMS text (before any SMS transliteration): UTF-8
	Subject   string   // decoded Subject header
	MessageID string   // Message-ID header, with angle brackets as written
	Warnings  []string // e.g. unknown charset, broken MIME: logged by the caller
	// Omitted names what the text leaves out, for the sender's report:
	// attachments and pictures ("\"photo.jpg\" (image/jpeg)"), and the rest
	// of a mail past the MIME limits.
	Omitted []string
}

// ErrNotMail is returned (wrapped) when the input has no parsable header.
var ErrNotMail = errors.New("mailtext: input is not a mail")

// Limits that keep the work per mail bounded whatever its size.
const (
	maxHeaderBytes  = 1 << 20  // one header block
	maxPartBytes    = 1 << 20  // raw bytes read from one text part
	maxTextBytes    = 64 << 10 // body text kept before cleaning
	maxSubjectBytes = 1 << 10  // decoded subject kept
	maxDepth        = 10       // MIME nesting followed
	maxParts        = 1000     // parts looked at in one multipart
	maxWarnings     = 32
)

// readers reuses Extract's read buffers: a 32 KiB buffer per mail was the
// largest allocation on the path from SMTP to the queue. Everything taken
// from a buffer is copied before Extract returns.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 32<<10) }}

// Extract reads the whole mail. It returns an error only when the input is
// not a mail at all (e.g. no header can be parsed); everything else degrades
// gracefully with Warnings.
func Extract(r io.Reader, opt Options) (*Result, error) {
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() {
		br.Reset(nil) // drop r: the pool must not keep the mail alive
		readers.Put(br)
	}()
	w := &walker{showLinks: opt.ShowLinks}
	h, body, err := readTopHeader(br, w)
	if err != nil {
		return nil, err
	}
	res := &Result{
		Subject:   decodeSubject(h.Get("Subject"), w),
		MessageID: strings.TrimSpace(h.Get("Message-Id")),
	}
	found := w.entity(h, body, "1", 0, "text/plain")
	// The caller may tee the input elsewhere: consume it all, cheaply.
	if _, err := io.Copy(io.Discard, br); err != nil {
		w.warn("reading mail: %v", err)
	}
	text, used := chooseBody(found, opt)
	if w.cut && text != "" {
		text += " " + cutMark
	}
	res.Text = joinSubject(res.Subject, text, opt.Subject)
	res.Warnings = w.warnings
	for _, f := range w.files {
		if f != used.file {
			res.Omitted = append(res.Omitted, f)
		}
	}
	res.Omitted = append(res.Omitted, w.omitted...)
	if w.cut {
		res.Omitted = append(res.Omitted, fmt.Sprintf("the parts past the MIME limits (%d parts, %d levels)", maxParts, maxDepth))
	}
	return res, nil
}

// cutMark ends a text that the MIME limits stopped early.
const cutMark = "[…]"

// chooseBody cleans the main text; a forwarded message stands in when the
// main text has nothing left, and uncleaned text when cleaning ate it all.
// It returns the text and the candidate it came from.
func chooseBody(f found, opt Options) (string, text) {
	mainClean, mainRaw := clean(f.body, opt)
	if mainClean != "" {
		return mainClean, f.body
	}
	fwdClean, fwdRaw := clean(f.forward, opt)
	switch {
	case fwdClean != "":
		return fwdClean, f.forward
	case mainRaw != "":
		return mainRaw, f.body
	}
	return fwdRaw, f.forward
}

// joinSubject puts the subject in front of the body unless told not to or
// the body already begins with it.
func joinSubject(subject, body string, mode SubjectMode) string {
	if mode == SubjectIgnore || subject == "" {
		return body
	}
	if body == "" {
		return subject
	}
	if len(body) >= len(subject) && strings.EqualFold(body[:len(subject)], subject) {
		return body
	}
	return subject + "\n" + body
}
