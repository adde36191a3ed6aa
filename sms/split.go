package sms

import (
	"fmt"
	"unicode/utf8"
)

// span is one part's text: bytes [start, end) of the prepared text.
type span struct{ start, end int }

// splitter cuts prepared text into spans that fit the encoding's limits.
type splitter struct {
	text     string
	enc      Encoding
	mode     SplitMode
	maxParts int
	truncate bool
	single   int // capacity of a standalone SMS
	multi    int // capacity of each part of a longer message
	marker   string
}

func newSplitter(text string, enc Encoding, opt Options) *splitter {
	sp := &splitter{
		text: text, enc: enc, mode: opt.Split, truncate: opt.Truncate,
		maxParts: max(opt.MaxParts, 1),
		single:   gsmSingle, multi: gsmPart, marker: "...",
	}
	if enc == UCS2 {
		sp.single, sp.multi, sp.marker = ucs2Single, ucs2Part, "…"
	}
	if opt.Split == SplitPlain {
		sp.multi = sp.single
	} else {
		sp.maxParts = min(sp.maxParts, maxUDHParts)
	}
	return sp
}

// width is the size of s in the encoding's units.
func (sp *splitter) width(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(sp.enc, r)
	}
	return n
}

// split returns the spans, and whether the text had to be truncated.
func (sp *splitter) split() ([]span, bool, error) {
	if sp.width(sp.text) <= sp.single {
		return []span{{0, len(sp.text)}}, false, nil
	}
	limit := sp.multi
	if sp.maxParts == 1 {
		limit = sp.single // a lone truncated part is a standalone SMS
	}
	spans := make([]span, 0, min(sp.maxParts, len(sp.text)/limit+1))
	for start := 0; start < len(sp.text); {
		if len(spans) == sp.maxParts {
			return sp.truncated(spans, limit)
		}
		end, next := sp.cut(start, limit)
		spans = append(spans, span{start, end})
		start = next
	}
	return spans, false, nil
}

// truncated replaces the last span with one that leaves room for the
// marker, or reports ErrTooLong when truncation is not wanted.
func (sp *splitter) truncated(spans []span, limit int) ([]span, bool, error) {
	if !sp.truncate {
		return nil, false, fmt.Errorf("%w: needs more than %d parts", ErrTooLong, sp.maxParts)
	}
	last := &spans[len(spans)-1]
	end, _ := sp.cut(last.start, limit-sp.width(sp.marker))
	last.end = trimBeforeMarker(sp.text, last.start, end)
	return spans, true, nil
}

// cut finds where a part that starts at byte start and holds limit units
// ends (end) and where the next part starts (next). A cut inside a word
// moves back to the last space or newline if that keeps at least 80% of the
// part. With split = plain the breaking space is dropped; with a UDH the
// phone joins the parts as they are, so the space must stay in one of them.
func (sp *splitter) cut(start, limit int) (end, next int) {
	used, brk, brkUsed := 0, -1, 0
	i := start
	for i < len(sp.text) {
		r, size := utf8.DecodeRuneInString(sp.text[i:])
		w := runeWidth(sp.enc, r)
		if used+w > limit {
			break
		}
		if isBreak(r) {
			brk, brkUsed = i, used
		}
		used += w
		i += size
	}
	if i == len(sp.text) {
		return i, i
	}
	if r, size := utf8.DecodeRuneInString(sp.text[i:]); isBreak(r) {
		if sp.mode == SplitUDH {
			return i, i // the space opens the next part
		}
		return i, i + size
	}
	if brk > start && brkUsed*5 >= limit*4 {
		if sp.mode == SplitUDH {
			return brk + 1, brk + 1 // the space closes this part
		}
		return brk, brk + 1
	}
	return i, i
}
