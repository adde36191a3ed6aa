package mailtext

import (
	"regexp"
	"slices"
	"strings"
)

// Built-in boilerplate rules. Each is small and anchored to how the text
// starts, so that a sentence merely mentioning a word is not taken.
var (
	// placeholderRE is what mailers write for a picture in the plain-text
	// alternative ("[image: Logo]", "[cid:image001.png@01D…]").
	placeholderRE = regexp.MustCompile(`(?i)\[(image|cid|picture|bild|imagen|immagine)\s?:[^\]\n]{0,200}\]`)

	// builtinDropRE matches a paragraph to be removed wherever it stands:
	// external-sender banners and "view in browser" lines.
	builtinDropRE = []*regexp.Regexp{
		regexp.MustCompile(`(?i)^\W{0,3}(caution|warning|attention|notice|external|\[external\])\b.{0,100}` +
			`\b(originated|comes?|came|was sent|is) from (outside|an? external)`),
		regexp.MustCompile(`(?i)^\W{0,3}(\[?external\]?( e-?mail| sender| message)?\W{0,3}|external email: use caution.*)$`),
		regexp.MustCompile(`(?i)^\W{0,3}(achtung|vorsicht|externe e-?mail)\b.{0,100}\b(von außerhalb|extern(en|er)? (absender|quelle))`),
		regexp.MustCompile(`(?i)^.{0,60}\b(view (this|it|the|our)? ?(e-?mail|message|newsletter|mail)? ?(in|on) (your|a|the)? ?(web ?)?browser|` +
			`view (it |this )?online|having trouble (viewing|reading) this|can'?t see (this|the) (e-?mail|images)|` +
			`im browser (ansehen|anzeigen|öffnen|lesen)|version en ligne|ver (en|no) (el )?navegador)\b.{0,80}$`),
	}

	// footerStartRE starts the footers and disclaimers that end a mail:
	// the text from the first line it matches on is dropped, when that line
	// comes after some content.
	footerStartRE = regexp.MustCompile(`(?i)^\W{0,3}(` +
		`(click )?(here )?to unsubscribe|unsubscribe( here| now| from this list)?\s*([|·•-].*)?$|abbestellen|newsletter abmelden|se désinscrire|se désabonner|darse de baja|` +
		`manage (your )?(e-?mail )?(preferences|subscriptions?)|update your (e-?mail )?preferences|` +
		`you('re| are)? receiv(ed|ing) this (e-?mail|message|newsletter|because)|this (e-?mail|message) was sent to \S+@|` +
		`if you (no longer wish|do not wish|don'?t want) to receive|` +
		`confidentiality notice|disclaimer\s*:|legal notice\s*:|privileged (and|&) confidential|` +
		`(this|the) (e-?mail|message|communication|transmission)( and any (files|attachments)[^.\n]{0,60})? ` +
		`(is|are|may be|may contain|contains?) (strictly )?(confidential|privileged|intended (solely|only))|` +
		`the (information|content) (contained )?in this (e-?mail|message|communication)|` +
		`diese (e-?mail|nachricht) (enthält|kann) vertrauliche|` +
		`(ce|le présent) (message|courriel|e-mail)( et (ses|toutes les) pièces jointes)? (est|sont|peut contenir|peuvent contenir) ` +
		`(confidentiel|strictement|des informations confidentielles)|` +
		`este (mensaje|correo)( y sus anexos)? (es|contiene|puede contener) (confidencial|información confidencial)|` +
		`you received this message because you are subscribed to|` +
		`-+ ?this is a copy of the (original )?message|-* ?below this line is a copy of the message|` +
		`(the )?original message (was|is) (included|attached) below|` +
		`return-path: <|received: from \S+ (\(|by )` +
		`)`)

	// footerFirstWords are the words footerStartRE's lines begin with: a
	// line starting otherwise is not run through it (most lines are not).
	footerFirstWords = map[string]bool{
		"click": true, "here": true, "to": true, "unsubscribe": true, "abbestellen": true, "newsletter": true,
		"se": true, "darse": true, "manage": true, "update": true, "you": true, "this": true, "if": true,
		"confidentiality": true, "disclaimer": true, "legal": true, "privileged": true, "the": true,
		"diese": true, "ce": true, "le": true, "este": true, "below": true, "original": true,
		"return": true, "received": true,
	}

	// listRuleRE and listNameRE are Mailman's footer: a rule, then the
	// list's name.
	listRuleRE = regexp.MustCompile(`^_{10,}$`)
	listNameRE = regexp.MustCompile(`(?i)^.{1,80} mailing list$`)

	// dropHints are words one of builtinDropRE needs: a paragraph without
	// any is not run through them (they cost most of the cleaning time).
	dropHints = []string{"outside", "external", "extern", "außerhalb", "browser", "online", "trouble", "can't see",
		"cant see", "en ligne", "navegador"}
)

// maxParagraph is the longest paragraph a drop rule removes whole; in a
// longer one (HTML text is one paragraph of many lines) only the line.
const maxParagraph = 500

// dropBoilerplate removes picture placeholders, the paragraphs that a
// built-in or configured drop rule matches, and a footer or disclaimer
// after the content.
func dropBoilerplate(s string, drop []*regexp.Regexp) string {
	if strings.Contains(s, "[") {
		s = placeholderRE.ReplaceAllString(s, "")
	}
	lines := cutFooter(strings.Split(s, "\n"))
	kept := make([]string, 0, len(lines))
	for start := 0; start < len(lines); {
		end := start
		for end < len(lines) && strings.TrimSpace(lines[end]) != "" {
			end++
		}
		para := lines[start:end]
		if joined := collapseLine(strings.Join(para, " ")); len(joined) <= maxParagraph {
			if !dropped(joined, drop) {
				kept = append(kept, para...)
			}
		} else {
			for _, l := range para {
				if !dropped(collapseLine(l), drop) {
					kept = append(kept, l)
				}
			}
		}
		if end < len(lines) {
			kept = append(kept, lines[end])
		}
		start = end + 1
	}
	return strings.Join(kept, "\n")
}

// cutFooter drops the lines from the first footer line that follows
// some content.
func cutFooter(lines []string) []string {
	content := false
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		if content && len(t) < maxParagraph && (footerFirstWords[firstWord(t)] && footerStartRE.MatchString(t) ||
			listRuleRE.MatchString(t) && i+1 < len(lines) && listNameRE.MatchString(strings.TrimSpace(lines[i+1]))) {
			return lines[:i]
		}
		content = true
	}
	return lines
}

// firstWord is the first run of ASCII letters in s, lower-cased, when it
// starts within the first twelve bytes.
func firstWord(s string) string {
	i := 0
	for i < len(s) && i < 12 && !isLetter(s[i]) {
		i++
	}
	j := i
	for j < len(s) && isLetter(s[j]) {
		j++
	}
	return asciiLower(s[i:j])
}

// dropped reports whether a paragraph matches a built-in or configured
// drop rule.
func dropped(p string, drop []*regexp.Regexp) bool {
	if p == "" {
		return false
	}
	for _, re := range drop {
		if re != nil && re.MatchString(p) {
			return true
		}
	}
	low := strings.ToLower(p)
	if !slices.ContainsFunc(dropHints, func(h string) bool { return strings.Contains(low, h) }) {
		return false
	}
	for _, re := range builtinDropRE {
		if re.MatchString(p) {
			return true
		}
	}
	return false
}
