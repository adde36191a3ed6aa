package sms

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mozillazg/go-unidecode"
	"golang.org/x/text/unicode/norm"
)

// Prepare returns text made fit for mode, and the encoding it will travel
// in. In every mode line ends become "\n", tabs spaces, other control
// characters are dropped and white space at both ends is trimmed.
//
//   - ModeGSM7 keeps what GSM 03.38 has and transliterates the rest; the
//     result is always valid GSM-7.
//   - ModeASCII does the same down to printable ASCII plus "\n".
//   - ModeUCS2 keeps the text as written.
//   - ModeAuto maps typographic punctuation to plain forms; if that makes the
//     text GSM-7 it goes as GSM-7, else as UCS-2 exactly as written.
//
// An unknown mode is treated as ModeGSM7, whose output is always sendable.
//
// Emoji, which neither GSM-7 nor ASCII has, are spelt as EmojiWords says.
func Prepare(text string, mode Mode) (string, Encoding) {
	return prepare(text, mode, EmojiWords)
}

func prepare(text string, mode Mode, emoji EmojiMode) (string, Encoding) {
	switch mode {
	case ModeUCS2:
		return cleanControls(text), UCS2
	case ModeAuto:
		clean := cleanControls(text)
		if g := gsmCandidate(clean); IsGSM7(g) {
			return g, GSM7
		}
		return clean, UCS2
	case ModeASCII:
		return transliterate(text, isPrintableASCII, emoji), ASCII
	default:
		return transliterate(text, isGSMText, emoji), GSM7
	}
}

// gsmCandidate is cleaned text with only its safe replacements made: what
// ModeAuto sends as GSM-7 when it fits. Trimmed again: an invisible
// character may have hidden a space.
func gsmCandidate(clean string) string {
	return strings.TrimSpace(mapSafe(norm.NFC.String(clean)))
}

// cleanControls normalises line ends and drops control characters. Invalid
// UTF-8 becomes U+FFFD, so later steps see valid text only.
func cleanControls(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, needsCleaning) {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	prevCR := false
	for _, r := range s {
		cr := r == '\r'
		switch {
		case r == '\n' && prevCR:
			// The CR already wrote the newline of this CR LF.
		case cr || r == '\n' || r == '\u2028' || r == '\u2029' || r == '\u0085':
			b.WriteByte('\n')
		case r == '\t':
			b.WriteByte(' ')
		case unicode.IsControl(r):
		default:
			b.WriteRune(r)
		}
		prevCR = cr
	}
	return strings.TrimSpace(b.String())
}

// needsCleaning reports a character cleanControls rewrites or drops.
func needsCleaning(r rune) bool {
	return (r != '\n' && unicode.IsControl(r)) || r == '\u2028' || r == '\u2029'
}

// safeMap holds typographic forms whose plain replacement says the same:
// quotes, dashes, spaces, the ellipsis and invisible formatting characters.
var safeMap = map[rune]string{
	'‘': "'", '’': "'", '‚': "'", '‛': "'", '′': "'", '`': "'",
	'“': `"`, '”': `"`, '„': `"`, '‟': `"`, '″': `"`, '«': `"`, '»': `"`,
	'‐': "-", '‑': "-", '‒': "-", '–': "-", '—': "-", '―': "-", '−': "-",
	'…':      "...",
	'\u00A0': " ", '\u1680': " ", '\u2000': " ", '\u2001': " ", '\u2002': " ",
	'\u2003': " ", '\u2004': " ", '\u2005': " ", '\u2006': " ", '\u2007': " ",
	'\u2008': " ", '\u2009': " ", '\u200A': " ", '\u202F': " ", '\u205F': " ",
	'\u3000': " ",
	'\u00AD': "", '\u200B': "", '\u200C': "", '\u200D': "", '\u2060': "", '\uFEFF': "",
}

// lossyMap holds replacements worth making when the alphabet forces a
// change anyway, better than what unidecode would pick.
var lossyMap = map[rune]string{
	'•': "-", '‣': "-", '◦': "-", '⁃': "-", '∙': "-",
	'×': "x", '÷': "/",
	'£': "GBP", '¥': "JPY", '€': "EUR",
}

// greekLookalike spells Greek capitals GSM 03.38 lacks with the Latin
// capitals drawn the same, so Greek in capitals stays Greek on the phone.
var greekLookalike = map[rune]string{
	'Α': "A", 'Β': "B", 'Ε': "E", 'Ζ': "Z", 'Η': "H", 'Ι': "I", 'Κ': "K",
	'Μ': "M", 'Ν': "N", 'Ο': "O", 'Ρ': "P", 'Τ': "T", 'Υ': "Y", 'Χ': "X",
	'Ά': "A", 'Έ': "E", 'Ή': "H", 'Ί': "I", 'Ό': "O", 'Ύ': "Y", 'Ώ': "Ω",
	'Ϊ': "I", 'Ϋ': "Y",
}

// safeReplacement looks r up in safeMap, skipping the lookup for the
// ranges that hold none of its keys (most letters of most scripts).
func safeReplacement(r rune) (string, bool) {
	if r != '`' && (r < 0xA0 || (r > 0xBB && r < 0x1680)) {
		return "", false
	}
	m, ok := safeMap[r]
	return m, ok
}

// mapSafe applies safeMap only.
func mapSafe(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if m, ok := safeReplacement(r); ok {
			b.WriteString(m)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// transliterate rewrites s so every character satisfies keep; what cannot
// be rewritten becomes '?'.
func transliterate(s string, keep func(rune) bool, emoji EmojiMode) string {
	s = norm.NFC.String(cleanControls(s))
	if !strings.ContainsFunc(s, func(r rune) bool { return !keep(r) }) {
		return s // the common case: nothing to rewrite
	}
	t := translit{keep: keep, greek: keep('Δ'), emoji: emoji}
	t.b.Grow(len(s))
	prev := rune(-1)
	for i, r := range s {
		_, size := utf8.DecodeRuneInString(s[i:])
		next, _ := utf8.DecodeRuneInString(s[i+size:])
		t.rune(r, isGreekLower(prev) || isGreekLower(next))
		prev = r
	}
	out := t.b.String()
	if t.dropped {
		out = spaceRunRE.ReplaceAllStringFunc(out, func(m string) string {
			if strings.Contains(m, "\n") {
				return "\n"
			}
			return " "
		})
	}
	return strings.TrimSpace(out)
}

// spaceRunRE is the white space a dropped emoji leaves doubled; a line
// break in it stays.
var spaceRunRE = regexp.MustCompile(` *\n *| {2,}`)

// isGreekLower reports a lower-case Greek letter. A Greek capital beside
// one starts a word that will be spelt in Latin, so it is spelt in Latin
// too ("Γειά" becomes "Geia", not "Γeia").
func isGreekLower(r rune) bool {
	return r >= 0x370 && unicode.Is(unicode.Greek, r) && unicode.IsLower(r)
}

// translit accumulates transliterated text. unidecode ends many spellings
// with a space ("Zhong "); that space is held back and written only before
// a word, so punctuation and spaces that follow are not pushed apart.
type translit struct {
	b       strings.Builder
	keep    func(rune) bool
	greek   bool // the alphabet has the Greek capitals GSM 03.38 has
	pending bool // a held-back space
	emoji   EmojiMode
	joined  bool // the last character was a zero-width joiner
	dropped bool // an emoji was left out: white space may be doubled
	// lastEmoji is the emoji just written, while nothing else followed.
	lastEmoji rune
}

// rune writes r. latinGreek asks for Greek to be spelt in Latin even where
// the alphabet has the letter.
func (t *translit) rune(r rune, latinGreek bool) {
	if t.pending && !unicode.IsSpace(r) && !unicode.IsPunct(r) && !isInvisible(r) {
		t.b.WriteByte(' ')
	}
	t.pending = false
	greek := latinGreek && unicode.Is(unicode.Greek, r)
	joined := t.joined
	t.joined = r == '\u200D'
	switch {
	case isEmoji(r) && !t.keep(r):
		// One word for a joined sequence (👨‍👩‍👧), its first emoji, and
		// for a run of the same emoji (🔥🔥🔥).
		if w := emojiText(r, t.emoji); !joined && r != t.lastEmoji && w != "" {
			t.b.WriteString(w)
		} else {
			t.dropped = true
		}
		t.lastEmoji = r
		return
	case t.keep(r) && !greek:
		t.b.WriteRune(r)
	case safeMap[r] != "" || lossyMap[r] != "":
		t.b.WriteString(safeMap[r] + lossyMap[r])
	case t.greek && !greek && greekLookalike[r] != "":
		t.b.WriteString(greekLookalike[r])
	case isInvisible(r):
		// Combining marks left after NFC, joiners and the like.
		return
	default:
		t.decoded(r)
	}
	t.lastEmoji = 0
}

// decoded writes unidecode's ASCII spelling of r, or '?' when it has none.
func (t *translit) decoded(r rune) {
	d := unidecode.Unidecode(string(r))
	if d == "" || strings.Contains(d, "[?]") {
		t.b.WriteByte('?')
		return
	}
	if trimmed := strings.TrimRight(d, " "); trimmed != "" && trimmed != d {
		d, t.pending = trimmed, true
	}
	for _, c := range d {
		switch {
		case t.keep(c):
			t.b.WriteRune(c)
		case safeMap[c] != "":
			t.b.WriteString(safeMap[c])
		default:
			t.b.WriteByte('?')
		}
	}
}

func isInvisible(r rune) bool {
	_, known := safeMap[r]
	return known || unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) ||
		(r >= 0x1F3FB && r <= 0x1F3FF) // emoji skin tones

}

func isGSMText(r rune) bool {
	return r != '\r' && r != '\f' && gsmWidth(r) > 0
}

func isPrintableASCII(r rune) bool {
	return r == '\n' || (r >= ' ' && r < 0x7F && r != '`')
}
