package mailtext

import (
	"regexp"
	"strings"

	"github.com/k3a/html2text"
)

// htmlToText turns an HTML body into readable lines. Our own pass reduces
// the markup to line breaks, list dashes and links (html2text alone knows
// few block elements, misreads tags with attributes and loses the text
// after an <a> without href); html2text then decodes entities, collapses
// white space and writes links as "text <url>".
func htmlToText(s string) string {
	out := html2text.HTML2TextWithOptions(simplifyHTML(s),
		html2text.WithUnixLineBreaks(), html2text.WithLinksInnerText())
	return strings.ReplaceAll(dropRedundantLinks(out), lineMark, "\n")
}

// lineMark stands for a line break while html2text runs: it passes the
// character through untouched, where each <br> would cost it a regexp.
const lineMark = "\ue000"

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
	link       bool
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
	if z.link {
		z.out.WriteString("</a>")
	}
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
		case strings.HasPrefix(t[i:], lineMark):
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

// anchor keeps web links only and never nests them: html2text hides the
// rest of the text after an <a> it cannot pair.
func (z *simplifier) anchor(closing bool, attrs string) {
	if z.link {
		z.out.WriteString("</a>")
		z.link = false
	}
	if closing {
		return
	}
	href := strings.TrimSpace(attr(attrs, "href"))
	low := asciiLower(href)
	if !strings.HasPrefix(low, "http://") && !strings.HasPrefix(low, "https://") {
		return
	}
	z.out.WriteString(`<a href="` + hrefEscaper.Replace(href) + `">`)
	z.link = true
}

var hrefEscaper = strings.NewReplacer(`"`, "&quot;", "<", "&lt;", ">", "&gt;", "\n", "", "\r", "")

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

// linkRE matches the " <url>" html2text writes after a link's text.
var linkRE = regexp.MustCompile(` <(https?://[^<>\s]*)>`)

// dropRedundantLinks removes a link's URL when its text already shows it or
// when it has no text at all (an image link).
func dropRedundantLinks(s string) string {
	var sb strings.Builder
	last := 0
	for _, m := range linkRE.FindAllStringSubmatchIndex(s, -1) {
		before := strings.TrimRight(s[:m[0]], " ")
		keep := !linkShown(before, s[m[2]:m[3]]) &&
			!(before == "" || strings.HasSuffix(before, lineMark)) // link without text
		sb.WriteString(s[last:m[0]])
		if keep {
			sb.WriteString(s[m[0]:m[1]])
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
