package mailtext

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// clean returns the text a person typed (quotes, signature, reply headers,
// phone footers and boilerplate gone) and, as a fallback for when that
// leaves nothing, the whole text; both with cut_after and the URL mode
// applied and white space collapsed.
func clean(t text, opt Options) (cleaned, whole string) {
	s := rewriteURLs(cutAfter(normalize(t.s), opt.CutAfter), opt.URLs)
	whole = collapse(strings.Split(s, "\n"))
	lines := strings.Split(dropBoilerplate(s, opt.Drop), "\n")
	return collapse(dropNoise(lines, t.html)), whole
}

// cutAfter drops the text from the earliest match of any expression on.
func cutAfter(s string, cut []*regexp.Regexp) string {
	end := len(s)
	for _, re := range cut {
		if re == nil {
			continue
		}
		if loc := re.FindStringIndex(s); loc != nil && loc[0] < end {
			end = loc[0]
		}
	}
	return s[:end]
}

var (
	attributionStartRE = regexp.MustCompile(`^(On|At|Am|Le|El|Il|Op|Em|Den|W|Dne)\s`)
	attributionRE      = regexp.MustCompile(`^((On|At)\s.+\swrote|Am\s.+\sschrieb.*|Le\s.+\sa écrit|` +
		`El\s.+\sescribió|Il\s.+\sha scritto|Op\s.+\sschreef.*|Em\s.+\sescreveu|` +
		`Den\s.+\sskrev.*|W dniu\s.+\snapisał(a|\(a\))?|Dne\s.+\snapsal.*)\s?:(\s.*)?$`)
	originalMessageRE = regexp.MustCompile(`(?i)^-{2,}\s*(original message|ursprüngliche nachricht|` +
		`message d'origine|mensaje original|messaggio originale|oorspronkelijk bericht|mensagem original)\s*-{2,}$`)
	replyFromRE = regexp.MustCompile(`(?i)^\*?(from|von|de|da|van|från|fra)\s?:\*?\s*\S`)
	replySentRE = regexp.MustCompile(`(?i)^\*?(sent|gesendet|envoyé|enviado|enviado el|inviato|verzonden|skickat|sendt)\s?:`)
	separatorRE = regexp.MustCompile(`^[_\-=*]{5,}$`)
	forwardRE   = regexp.MustCompile(`(?i)^(-{2,}\s*(forwarded message|weitergeleitete nachricht|message transféré|` +
		`mensaje reenviado|messaggio inoltrato|doorgestuurd bericht)\s*-{2,}|begin forwarded message:|` +
		`anfang der weitergeleiteten nachricht:|début du message réexpédié\s?:)$`)
	fwdHeaderRE = regexp.MustCompile(`(?i)^\*?(from|date|sent|subject|to|cc|reply-to|von|datum|betreff|an|de|objet|à|` +
		`asunto|para|fecha|enviado|oggetto|data|da|a)\s?:`)
	footerRE = regexp.MustCompile(`(?i)^(` +
		`sent from my (iphone|ipad|ipod|android|samsung|galaxy|blackberry|huawei|xiaomi|pixel|oneplus|` +
		`windows phone|mobile|smartphone|phone|nokia|motorola)\b.{0,60}` +
		`|sent (from|with|via) (mail for windows|outlook|yahoo mail|aol|proton ?mail|gmail|samsung|` +
		`blue ?mail|spark|airmail|tutanota|fastmail)\b.{0,60}` +
		`|get outlook for (ios|android)\b.{0,60}` +
		`|von meinem .{1,40} gesendet\.?|gesendet von meinem .{1,40}|envoyé de mon .{1,40}` +
		`|enviado desde mi .{1,40}|inviato da(l mio)? .{1,40}|verzonden (vanaf|met) mijn .{1,40}` +
		`|أُ?رسلت من .{1,40})$`)
)

// dropNoise keeps the lines a person typed for this mail. Everything from
// a signature, an attribution or a reply header on is dropped.
func dropNoise(lines []string, html bool) []string {
	kept := make([]string, 0, len(lines))
	for i, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case l == "-- " || html && t == "--":
			return kept
		case strings.HasPrefix(t, ">"), len(t) < 120 && footerRE.MatchString(t):
			continue
		case isAttribution(lines, i):
			if quoteFollows(lines[i+1:]) {
				continue // bottom posting: the quote goes, the replies below stay
			}
			return kept
		case len(t) < 80 && forwardRE.MatchString(t):
			skipped := skipForwardHeader(lines[i+1:])
			return append(kept, dropNoise(lines[i+1+skipped:], html)...)
		case strings.HasPrefix(t, "--") && originalMessageRE.MatchString(t), isReplyHeader(lines, i):
			return dropSeparator(kept)
		}
		kept = append(kept, l)
	}
	return kept
}

// isAttribution reports whether an "On … wrote:" line (possibly wrapped
// over up to three lines) starts at lines[i]. To spare a sentence such as
// "On Monday she wrote:", it needs a date or address, or quotes after it.
func isAttribution(lines []string, i int) bool {
	joined := strings.TrimSpace(lines[i])
	if quotedAttribution(lines, i) {
		return true
	}
	if !attributionStartRE.MatchString(joined) {
		return false
	}
	for k := i; k < len(lines) && k < i+3 && len(joined) < 400; k++ {
		if k > i {
			joined += " " + strings.TrimSpace(lines[k])
		}
		if attributionRE.MatchString(joined) {
			return strings.ContainsAny(joined, "0123456789@") || quoteFollows(lines[k+1:])
		}
	}
	return false
}

// attributionEndRE ends an attribution in any of the languages mailers
// write it in ("написал(а):", "kirjoitti 5.2.2024 klo 9.12:", "写道：").
var attributionEndRE = regexp.MustCompile(`(?i)(wrote|schrieb|a écrit|escribió|ha scritto|schreef|escreveu|skrev|` +
	`napisał\(a\)|napisał|napisala|napsal\(a\)|napsal|написал\(а\)|написала|написал|написав|kirjoitti|írta|yazdı|` +
	`έγραψε|写道|寫道|様は書きました|님이 작성)\b?[^:：]{0,60}[:：]$`)

// quotedAttribution reports an attribution in any language, on one line or
// wrapped over two, by its shape: a line ending in a colon that names a
// writer (an address and a date, or a "wrote" verb) and that quoted lines
// follow.
func quotedAttribution(lines []string, i int) bool {
	joined := ""
	for k := i; k < len(lines) && k < i+2; k++ {
		t := strings.TrimSpace(lines[k])
		if t == "" || strings.HasPrefix(t, ">") {
			return false
		}
		if k > i && !wrappedStart(joined) {
			return false
		}
		joined = strings.TrimSpace(joined + " " + t)
		if len(joined) > 300 {
			return false
		}
		if !strings.HasSuffix(joined, ":") && !strings.HasSuffix(joined, "：") || !quoteFollows(lines[k+1:]) {
			continue
		}
		addressed := strings.Contains(joined, "@") && strings.ContainsAny(joined, "0123456789")
		if addressed || attributionEndRE.MatchString(joined) {
			return true
		}
	}
	return false
}

// wrappedStart reports whether l can be the first half of a wrapped
// attribution: a long line with a date or time in it, not a sentence's end.
func wrappedStart(l string) bool {
	return len(l) >= 30 && strings.ContainsAny(l, "0123456789") && !strings.ContainsAny(l[len(l)-1:], ".!?")
}

// skipForwardHeader counts the header lines (From:, Date:, Subject: …) and
// blank lines a forwarded message begins with.
func skipForwardHeader(lines []string) int {
	n := 0
	for n < len(lines) && n < 20 {
		t := strings.TrimSpace(lines[n])
		if t != "" && !fwdHeaderRE.MatchString(t) {
			break
		}
		n++
	}
	return n
}

func quoteFollows(lines []string) bool {
	for _, l := range lines {
		if t := strings.TrimSpace(l); t != "" {
			return strings.HasPrefix(t, ">")
		}
	}
	return false
}

// isReplyHeader reports whether an Outlook "From: … Sent: …" block starts
// at lines[i].
func isReplyHeader(lines []string, i int) bool {
	t := strings.TrimSpace(lines[i])
	if colon := strings.IndexByte(t, ':'); colon < 0 || colon > 8 || !replyFromRE.MatchString(t) {
		return false
	}
	seen := 0
	for _, l := range lines[i+1:] {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		if replySentRE.MatchString(t) {
			return true
		}
		if seen++; seen >= 4 {
			return false
		}
	}
	return false
}

// dropSeparator removes the rule line Outlook puts above a reply header.
func dropSeparator(kept []string) []string {
	for len(kept) > 0 {
		t := strings.TrimSpace(kept[len(kept)-1])
		if t != "" && !separatorRE.MatchString(t) {
			break
		}
		kept = kept[:len(kept)-1]
	}
	return kept
}

// collapse joins the non-empty lines with "\n", each with its runs of
// white space made one space and its ends trimmed.
func collapse(lines []string) string {
	var sb strings.Builder
	for _, l := range lines {
		if l = collapseLine(l); l != "" {
			if sb.Len() > 0 {
				sb.WriteByte('\n')
			}
			sb.WriteString(l)
		}
	}
	return sb.String()
}

// collapseLine makes every run of white space one space and trims the ends.
func collapseLine(l string) string {
	var sb strings.Builder
	sb.Grow(len(l))
	space := false
	for i := 0; i < len(l); i++ {
		if c := l[i]; c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' {
			space = true
		} else {
			if space && sb.Len() > 0 {
				sb.WriteByte(' ')
			}
			space = false
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

// normalize makes line ends "\n", turns Unicode spaces into plain spaces and
// drops control, format and zero-width characters that only take room.
func normalize(s string) string {
	var sb strings.Builder
	sb.Grow(len(s))
	for i := 0; i < len(s); {
		if c := s[i]; c >= 0x20 && c < 0x7F { // fast path: printable ASCII
			sb.WriteByte(c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				continue
			}
			sb.WriteByte('\n')
		case r == '\n', r == '\t':
			sb.WriteRune(r)
		case r == utf8.RuneError && n == 1:
			sb.WriteString("\uFFFD")
		case r == 0x85, r == 0x2028, r == 0x2029:
			sb.WriteByte('\n')
		case r < 0x20, r >= 0x7F && r < 0xA0:
		case r == 0xA0, r == 0x1680, r >= 0x2000 && r <= 0x200A, r == 0x202F, r == 0x205F, r == 0x3000:
			sb.WriteByte(' ')
		case r == 0xAD, r == 0x34F, r == 0x180E, r == 0x200B, r == 0x200C, r == 0x2060, r == 0xFEFF, r == 0xFFFC:
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}
