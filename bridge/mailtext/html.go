package mailtext

import (
	"html"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/k3a/html2text"
)

// htmlToText turns an HTML body into readable lines. Our own pass reduces
// the markup to line breaks, list dashes and links (html2text alone knows
// few block elements, misreads tags with attributes and loses the text
// after an <a> without href); html2text then decodes entities, collapses
// white space. A link's address is kept, as "text <url>", only when
// showLinks asks for it and the text does not already say it.
func htmlToText(s string, showLinks bool) string {
	out := html2text.HTML2TextWithOptions(simplifyHTML(s), html2text.WithUnixLineBreaks())
	return strings.ReplaceAll(dropRedundantLinks(out, showLinks), lineMark, "\n")
}

// Private-use characters stand for structure while html2text runs: it
// passes them through untouched. lineMark is a line break (each <br> would
// cost html2text a regexp); linkOpen and linkClose enclose a link's
// address, so that it cannot be confused with a URL typed in the text.
const (
	lineMark  = "\ue000"
	linkOpen  = "\ue001"
	linkClose = "\ue002"
)

// blockTags break the line before and after them.
var blockTags = map[string]bool{
	"address": true, "article": true, "aside": true, "blockquote": true, "body": true,
	"caption": true, "center": true, "dd": true, "div": true, "dl": true, "dt": true,
	"fieldset": true, "figcaption": true, "figure": true, "footer": true, "form": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"header": true, "hr": true, "li": true, "main": true, "nav": true, "ol": true,
	"p": true, "pre": true, "section": true, "table": true, "tbody": true,
	"tfoot": true, "thead": true, "tr": true, "ul": true,
}

// rawTags hold no readable text; their content is skipped unparsed.
var rawTags = map[string]bool{
	"script": true, "style": true, "title": true, "head": true, "xml": true,
	"template": true, "noscript": true, "object": true, "svg": true,
}

const maxQuoteStack = 64

// simplifier rewrites HTML into the few constructs html2text handles well.
type simplifier struct {
	src, lower string
	out        strings.Builder
	quotes     []bool // open blockquotes: whether each is a citation
	overflow   int    // blockquotes nested beyond maxQuoteStack
	cite       int    // open citations: their lines get a "> " prefix
	pre        int
	href       string          // address of the open link, written when it closes
	linkStart  int             // output length when the open link started
	unclosed   map[string]bool // raw tags known to have no end tag further on
}

func simplifyHTML(s string) string {
	z := &simplifier{src: s, lower: asciiLower(s), unclosed: map[string]bool{}}
	z.out.Grow(len(s) / 2)
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			z.text(s[i:])
			break
		}
		z.text(s[i : i+j])
		i = z.markup(i + j)
	}
	z.closeLink()
	return z.out.String()
}

// text copies character data, escaping what html2text would take for markup.
func (z *simplifier) text(t string) {
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c == '<':
			z.out.WriteString("&lt;")
		case c == '>':
			z.out.WriteString("&gt;")
		case c == '\n' && z.pre > 0:
			z.newline()
		case c == 0xEE && isMark(t[i:]):
			i += len(lineMark) - 1 // the input's own private-use mark is dropped
		default:
			z.out.WriteByte(c)
		}
	}
}

func (z *simplifier) newline() {
	z.out.WriteString(lineMark)
	if z.cite > 0 {
		z.out.WriteString("&gt; ")
	}
}

// markup handles the construct starting with '<' at i and returns the
// index after it.
func (z *simplifier) markup(i int) int {
	s := z.src
	rest := s[i+1:]
	switch {
	case strings.HasPrefix(rest, "!--"):
		return indexAfter(s, i+4, "-->")
	case strings.HasPrefix(rest, "!"), strings.HasPrefix(rest, "?"):
		return indexAfter(s, i+1, ">")
	case len(rest) > 0 && isLetter(rest[0]),
		len(rest) > 1 && rest[0] == '/' && isLetter(rest[1]):
		end := tagEnd(s, i)
		next := min(end+1, len(s))
		return z.tag(s[i+1:end], next)
	}
	z.text("<")
	return i + 1
}

// tag handles one start or end tag (raw is the text between < and >).
func (z *simplifier) tag(raw string, next int) int {
	closing := strings.HasPrefix(raw, "/")
	raw = strings.TrimPrefix(raw, "/")
	n := 0
	for n < len(raw) && (isLetter(raw[n]) || raw[n] >= '0' && raw[n] <= '9' || raw[n] == ':' || raw[n] == '-') {
		n++
	}
	name, attrs := asciiLower(raw[:n]), raw[n:]
	// Hidden elements, and a <footer> after some text (addresses, legal
	// lines, links to settings), are skipped with their content.
	if !closing && !voidTags[name] && (isHidden(attrs) || name == "footer" && z.hasText()) {
		if end, ok := z.skipHidden(name, next); ok {
			return end
		}
	}
	switch {
	case rawTags[name] && !closing && !strings.HasSuffix(attrs, "/"):
		// Unclosed, it is ignored rather than allowed to swallow the body.
		// Remembering that keeps many unclosed tags from costing n² time.
		if !z.unclosed[name] {
			if end := strings.Index(z.lower[next:], "</"+name); end >= 0 {
				return indexAfter(z.src, next+end, ">")
			}
			z.unclosed[name] = true
		}
	case name == "br":
		z.newline()
	case name == "a":
		z.anchor(closing, attrs)
	case name == "blockquote":
		z.blockquote(closing, attrs)
	case name == "li" && !closing:
		z.newline()
		z.out.WriteString("- ")
	case name == "td" || name == "th":
		z.out.WriteByte(' ')
	case blockTags[name]:
		z.block(name, closing)
	}
	return next
}

func (z *simplifier) block(name string, closing bool) {
	switch {
	case name == "pre" && closing:
		z.pre = max(0, z.pre-1)
	case name == "pre":
		z.pre++
	}
	z.newline()
}

// anchor keeps web links only and never nests them.
func (z *simplifier) anchor(closing bool, attrs string) {
	z.closeLink()
	if closing {
		return
	}
	href := strings.TrimSpace(html.UnescapeString(attr(attrs, "href")))
	low := asciiLower(href)
	if strings.HasPrefix(low, "http://") || strings.HasPrefix(low, "https://") {
		z.href, z.linkStart = href, z.out.Len()
	}
}

// closeLink writes the open link's address after its text, between marks
// and without spaces of its own: the white space around the link is the
// text's, as a browser shows it. A link without text (an image link) has
// no address worth showing.
func (z *simplifier) closeLink() {
	hasText := strings.TrimFunc(z.out.String()[z.linkStart:], func(r rune) bool {
		return unicode.IsSpace(r) || r == '\ue000'
	}) != ""
	if z.href != "" && hasText {
		z.out.WriteString(linkOpen + hrefEscaper.Replace(z.href) + linkClose)
	}
	z.href = ""
}

// isMark reports whether s starts with one of our private-use marks.
func isMark(s string) bool {
	return strings.HasPrefix(s, lineMark) || strings.HasPrefix(s, linkOpen) || strings.HasPrefix(s, linkClose)
}

// hrefEscaper keeps an address one word that html2text decodes back.
var hrefEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", " ", "%20",
	"\n", "", "\r", "", "\t", "", "\ue000", "", "\ue001", "", "\ue002", "")

// blockquote tracks citations (Apple Mail, Thunderbird, Gmail) so their
// lines come out quoted with "> " and are dropped like plain-text quotes.
func (z *simplifier) blockquote(closing bool, attrs string) {
	switch {
	case !closing && len(z.quotes) >= maxQuoteStack:
		z.overflow++
	case !closing:
		cite := strings.EqualFold(attr(attrs, "type"), "cite") ||
			strings.Contains(asciiLower(attr(attrs, "class")), "quote")
		z.quotes = append(z.quotes, cite)
		if cite {
			z.cite++
		}
	case z.overflow > 0:
		z.overflow--
	case len(z.quotes) > 0:
		if z.quotes[len(z.quotes)-1] {
			z.cite--
		}
		z.quotes = z.quotes[:len(z.quotes)-1]
	}
	z.newline()
}

// linkRE matches a link's address as closeLink wrote it.
var linkRE = regexp.MustCompile(linkOpen + `([^` + linkClose + `]*)` + linkClose)

// dropRedundantLinks removes a link's URL when its text already shows it,
// when it has no text at all (an image link) or, unless showLinks, always.
// A URL shown stands apart from the words around it.
func dropRedundantLinks(s string, showLinks bool) string {
	var sb strings.Builder
	last := 0
	for _, m := range linkRE.FindAllStringSubmatchIndex(s, -1) {
		before := strings.TrimRight(s[:m[0]], " ")
		sb.WriteString(s[last:m[0]])
		if url := s[m[2]:m[3]]; showLinks && !linkShown(before, url) {
			sb.WriteString(" <" + url + ">")
			if next, _ := utf8.DecodeRuneInString(s[m[1]:]); unicode.IsLetter(next) || unicode.IsDigit(next) {
				sb.WriteByte(' ')
			}
		}
		last = m[1]
	}
	sb.WriteString(s[last:])
	return sb.String()
}

// linkShown reports whether the text before ends with the URL, give or
// take its scheme, "www." and a final slash.
func linkShown(before, url string) bool {
	key := asciiLower(url)
	for _, p := range []string{"https://", "http://", "www."} {
		key = strings.TrimPrefix(key, p)
	}
	key = strings.TrimRight(key, "/")
	before = strings.TrimRight(before, "/ ")
	before = before[max(0, len(before)-len(key)):] // only the tail can match
	return key != "" && asciiLower(before) == key
}
