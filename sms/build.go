package sms

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

var (
	// ErrTooLong means the text needs more parts than Options.MaxParts.
	ErrTooLong = errors.New("sms: text too long")
	// ErrEmpty means nothing is left to send once the text is prepared.
	ErrEmpty = errors.New("sms: empty text")
)

// Per-SMS capacities: septets for GSM-7, UTF-16 code units for UCS-2. A
// concatenated part gives 6 octets to its UDH.
const (
	gsmSingle  = 160
	gsmPart    = 153
	ucs2Single = 70
	ucs2Part   = 67
	// maxUDHParts is what the 8-bit count of the concatenation header holds.
	maxUDHParts = 255
)

// Options says how Build encodes and splits.
type Options struct {
	Mode     Mode
	Split    SplitMode
	MaxParts int  // at most this many parts; 0 means 1
	Truncate bool // over MaxParts: cut and end with a marker instead of ErrTooLong
	// Emoji is what GSM-7 and ASCII make of emoji.
	Emoji EmojiMode
	// Unreadable is what ModeGSM7 and ModeASCII do with text mostly in a
	// script that has no readable Latin spelling (Japanese, Korean).
	Unreadable UnreadableMode
}

// Message is text ready to send, split into parts.
type Message struct {
	Text      string // the whole text as it will arrive
	Encoding  Encoding
	Parts     []Part
	Truncated bool
}

// Part is one SMS of a Message.
type Part struct {
	Text string
	// Payload is the encoded text without any UDH: unpacked septets (escape
	// pairs included) for GSM7 and ASCII, UTF-16BE bytes for UCS2.
	Payload []byte
	Seq     int // position among the parts, from 1
	Total   int // parts of the concatenated message; 0 for a standalone SMS
}

// Segments is the number of SMS the network bills for m.
func (m Message) Segments() int { return len(m.Parts) }

// Build prepares text for opt.Mode (see Prepare) and splits it into parts.
// Parts break at a space or newline near their end, rather than inside a
// word; the space at a break is dropped. Escape pairs and surrogate pairs
// are never cut.
func Build(text string, opt Options) (Message, error) {
	if err := opt.validate(); err != nil {
		return Message{}, err
	}
	mode := opt.Mode
	if (mode == ModeGSM7 || mode == ModeASCII) && unreadable(text) {
		if opt.Unreadable == UnreadableReject {
			return Message{}, ErrUnreadable
		}
		mode = ModeUCS2
	}
	prepared, enc := prepare(text, mode, opt.Emoji)
	if prepared == "" {
		return Message{}, ErrEmpty
	}
	sp := newSplitter(prepared, enc, opt)
	spans, truncated, err := sp.split()
	if err != nil {
		return Message{}, err
	}
	if truncated && mode == ModeAuto && enc == UCS2 {
		// Decide on the text that is sent: the characters that need UCS-2
		// may all lie past the cut.
		if gsp, gspans, ok := gsmHead(prepared, opt); ok {
			sp, spans, prepared, enc = gsp, gspans, gsp.text, GSM7
		}
	}
	msg := Message{Text: prepared, Encoding: enc, Truncated: truncated}
	if truncated {
		last := spans[len(spans)-1]
		msg.Text = prepared[:last.end] + sp.marker
	}
	msg.Parts = sp.parts(spans, truncated)
	return msg, nil
}

// gsmHead splits the GSM-7 form of a text that needs UCS-2 as a whole,
// and reports whether the part that survives truncation is all GSM-7.
func gsmHead(prepared string, opt Options) (*splitter, []span, bool) {
	sp := newSplitter(gsmCandidate(prepared), GSM7, opt)
	spans, truncated, err := sp.split()
	if err != nil || !truncated || !IsGSM7(sp.text[:spans[len(spans)-1].end]) {
		return nil, nil, false
	}
	return sp, spans, true
}

func (o Options) validate() error {
	switch {
	case o.Mode > ModeAuto:
		return fmt.Errorf("sms: invalid mode %v", o.Mode)
	case o.Split > SplitPlain:
		return fmt.Errorf("sms: invalid split mode %v", o.Split)
	case o.Emoji > EmojiDrop:
		return fmt.Errorf("sms: invalid emoji mode %v", o.Emoji)
	case o.Unreadable > UnreadableReject:
		return fmt.Errorf("sms: invalid unreadable mode %v", o.Unreadable)
	case o.MaxParts < 0:
		return fmt.Errorf("sms: invalid max parts %d", o.MaxParts)
	}
	return nil
}

// parts encodes spans. The last span of a truncated message gets the marker.
func (sp *splitter) parts(spans []span, truncated bool) []Part {
	total := 0
	if len(spans) > 1 && sp.mode == SplitUDH {
		total = len(spans)
	}
	parts := make([]Part, len(spans))
	for i, s := range spans {
		t := sp.text[s.start:s.end]
		if truncated && i == len(spans)-1 {
			t += sp.marker
		}
		parts[i] = Part{Text: t, Payload: sp.encode(t), Seq: i + 1, Total: total}
	}
	return parts
}

func (sp *splitter) encode(t string) []byte {
	if sp.enc == UCS2 {
		return EncodeUCS2(t)
	}
	// Prepare guarantees GSM-7 text for GSM7 and ASCII: no error to meet.
	b, _ := EncodeGSM7(t)
	return b
}

// trimBeforeMarker drops spaces, newlines and full stops at the end of
// s[start:end], which would only stand awkwardly before the marker.
func trimBeforeMarker(s string, start, end int) int {
	return start + len(strings.TrimRight(s[start:end], " \n."))
}

// isBreak reports whether a part may end at r, dropping it.
func isBreak(r rune) bool { return r == ' ' || r == '\n' }

// runeWidth is r's size in the unit the encoding counts.
func runeWidth(enc Encoding, r rune) int {
	if enc == UCS2 {
		return ucs2Width(r)
	}
	if w := gsmWidth(r); w > 0 {
		return w
	}
	return utf8.RuneLen(r) // unreachable for prepared text; never zero
}
