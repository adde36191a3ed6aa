package sms

import (
	"bytes"
	"fmt"
	"strings"
)

// checkMessage verifies what Build promises for any input: parts fit their
// SMS, payloads decode back to the part text, numbering is right, and the
// parts put together give Message.Text.
func checkMessage(m Message, opt Options) error {
	maxParts := max(opt.MaxParts, 1)
	if len(m.Parts) == 0 || len(m.Parts) > maxParts {
		return fmt.Errorf("%d parts, max %d", len(m.Parts), maxParts)
	}
	if m.Segments() != len(m.Parts) {
		return fmt.Errorf("Segments() = %d for %d parts", m.Segments(), len(m.Parts))
	}
	for i, p := range m.Parts {
		if err := checkPart(m, opt, i, p); err != nil {
			return fmt.Errorf("part %d %q: %w", i+1, p.Text, err)
		}
	}
	if m.Truncated && !strings.HasSuffix(m.Parts[len(m.Parts)-1].Text, markerFor(m.Encoding)) {
		return fmt.Errorf("truncated message lacks its marker")
	}
	texts := make([]string, len(m.Parts))
	for i, p := range m.Parts {
		texts[i] = p.Text
	}
	if !joinsTo(m.Text, texts) {
		return fmt.Errorf("parts %q do not make up text %q", texts, m.Text)
	}
	// A phone joins concatenated parts as they are: not a space may be lost.
	if opt.Split == SplitUDH && len(m.Parts) > 1 && !m.Truncated && strings.Join(texts, "") != m.Text {
		return fmt.Errorf("concatenated parts %q lose characters of %q", texts, m.Text)
	}
	return nil
}

func checkPart(m Message, opt Options, i int, p Part) error {
	if p.Seq != i+1 {
		return fmt.Errorf("Seq = %d", p.Seq)
	}
	wantTotal := 0
	if opt.Split == SplitUDH && len(m.Parts) > 1 {
		wantTotal = len(m.Parts)
	}
	if p.Total != wantTotal {
		return fmt.Errorf("Total = %d, want %d", p.Total, wantTotal)
	}
	if p.Text == "" {
		return fmt.Errorf("empty part")
	}
	limit := limitFor(m.Encoding, wantTotal > 0)
	if m.Encoding == UCS2 {
		if units := len(p.Payload) / 2; units > limit || DecodeUCS2(p.Payload) != p.Text ||
			!bytes.Equal(EncodeUCS2(p.Text), p.Payload) {
			return fmt.Errorf("UCS-2 payload %X (%d units, limit %d)", p.Payload, units, limit)
		}
		return nil
	}
	n, ok := Septets(p.Text)
	if !ok || n != len(p.Payload) || n > limit || DecodeGSM7(p.Payload) != p.Text {
		return fmt.Errorf("GSM-7 payload %X (%d septets, limit %d)", p.Payload, len(p.Payload), limit)
	}
	if p.Payload[len(p.Payload)-1] == escape {
		return fmt.Errorf("payload ends inside an escape pair")
	}
	if m.Encoding == ASCII && strings.ContainsFunc(p.Text, func(r rune) bool { return !isPrintableASCII(r) }) {
		return fmt.Errorf("not printable ASCII")
	}
	return nil
}

func limitFor(enc Encoding, concatenated bool) int {
	switch {
	case enc == UCS2 && concatenated:
		return ucs2Part
	case enc == UCS2:
		return ucs2Single
	case concatenated:
		return gsmPart
	default:
		return gsmSingle
	}
}

func markerFor(enc Encoding) string {
	if enc == UCS2 {
		return "…"
	}
	return "..."
}

// joinsTo reports whether text is parts joined, each join having at most
// one dropped space or newline.
func joinsTo(text string, parts []string) bool {
	if len(parts) == 0 {
		return text == ""
	}
	if !strings.HasPrefix(text, parts[0]) {
		return false
	}
	rest := text[len(parts[0]):]
	if len(parts) == 1 {
		return rest == ""
	}
	if joinsTo(rest, parts[1:]) {
		return true
	}
	return rest != "" && (rest[0] == ' ' || rest[0] == '\n') && joinsTo(rest[1:], parts[1:])
}
