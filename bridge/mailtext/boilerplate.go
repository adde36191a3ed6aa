package mailtext

import (
	"regexp"
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

	// footerRE starts the footers and disclaimers that end a mail: the text
	// from the first match on is dropped, when it comes after some content.
	footerStartRE = regexp.MustCompile(`(?im)^\W{0,3}(` +
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
		`_{10,}\s*\n.{1,80} mailing list|` +
		`-+ ?this is a copy of the (original )?message|-* ?below this line is a copy of the message|` +
		`(the )?original message (was|is) (included|attached) below|` +
		`return-path: <|received: from \S+ (\(|by )` +
		`)`)
)

// maxParagraph is the longest paragraph a drop rule removes whole; in a
// longer one (HTML text is one paragraph of many lines) only the line.
const maxParagraph = 500

// dropBoilerplate removes picture placeholders, the paragraphs that a
// built-in or configured drop rule matches, and a footer or disclaimer
// after the content.
func dropBoilerplate(s string, drop []*regexp.Regexp) string {
	s = placeholderRE.ReplaceAllString(s, "")
	if loc := footerStartRE.FindStringIndex(s); loc != nil && strings.TrimSpace(s[:loc[0]]) != "" {
		s = s[:loc[0]]
	}
	lines := strings.Split(s, "\n")
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

// dropped reports whether a paragraph matches a built-in or configured
// drop rule.
func dropped(p string, drop []*regexp.Regexp) bool {
	if p == "" {
		return false
	}
	for _, rules := range [][]*regexp.Regexp{builtinDropRE, drop} {
		for _, re := range rules {
			if re != nil && re.MatchString(p) {
				return true
			}
		}
	}
	return false
}
