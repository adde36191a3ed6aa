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
	return dropRedundantLinks(out)
}

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
}

func simplifyHTML(s string) string {
	z := &simplifier{src: s, lower: asciiLower(s)}
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
		default:
			z.out.WriteByte(c)
		}
	}
}

func (z *simplifier) newline() {
	z.out.WriteString("<br>")
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
		if end := strings.Index(z.lower[next:], "</"+name); end >= 0 {
			return indexAfter(z.src, next+end, ">")
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
	r := strings.NewReplacer(`"`, "&quot;", "<", "&lt;", ">", "&gt;", "\n", "", "\r", "")
	z.out.WriteString(`<a href="` + r.Replace(href) + `">`)
	z.link = true
}

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

// tagEnd returns the index of the '>' ending the tag that starts at s[i],
// honouring quoted attribute values unless a quote runs into a '<' (broken
// markup: the first '>' wins). Without any '>' the tag runs to the end.
func tagEnd(s string, i int) int {
	var quote, last byte
	for j := i + 1; j < len(s); j++ {
		c := s[j]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '<' {
				return indexOr(s, i, ">")
			}
		case (c == '"' || c == '\'') && last == '=':
			quote = c
		case c == '>':
			return j
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			last = c
		}
	}
	return indexOr(s, i, ">")
}

// attr returns the value of the named attribute in a tag's attribute text.
func attr(s, name string) string {
	for i := 0; i < len(s); {
		for i < len(s) && (isSpaceByte(s[i]) || s[i] == '/') {
			i++
		}
		start := i
		for i < len(s) && !isSpaceByte(s[i]) && s[i] != '=' && s[i] != '/' {
			i++
		}
		key := s[start:i]
		for i < len(s) && isSpaceByte(s[i]) {
			i++
		}
		if i >= len(s) || s[i] != '=' {
			if i == start {
				i++
			}
			continue
		}
		i++
		for i < len(s) && isSpaceByte(s[i]) {
			i++
		}
		var val string
		if i < len(s) && (s[i] == '"' || s[i] == '\'') {
			q := s[i]
			end := indexOr(s, i+1, string(q))
			val, i = s[i+1:end], end+1
		} else {
			v := i
			for i < len(s) && !isSpaceByte(s[i]) {
				i++
			}
			val = s[v:i]
		}
		if strings.EqualFold(key, name) {
			return val
		}
	}
	return ""
}

// linkRE matches the " <url>" html2text writes after a link's text.
var linkRE = regexp.MustCompile(` <(https?://[^<>\s]*)>`)

// dropRedundantLinks removes a link's URL when its text already shows it or
// when it has no text at all (an image link).
func dropRedundantLinks(s string) string {
	var sb strings.Builder
	last := 0
	for _, m := range linkRE.FindAllStringSubmatchIndex(s, -1) {
		before := strings.TrimRight(s[last:m[0]], " ")
		keep := !linkShown(s[:m[0]], s[m[2]:m[3]]) &&
			!(before == "" || strings.HasSuffix(before, "\n")) // link without text
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
	return key != "" && strings.HasSuffix(strings.TrimRight(asciiLower(before), "/ "), key)
}

// indexAfter returns the index just after the first sep in s[from:], or
// len(s) when there is none.
func indexAfter(s string, from int, sep string) int {
	if from > len(s) {
		return len(s)
	}
	if k := strings.Index(s[from:], sep); k >= 0 {
		return from + k + len(sep)
	}
	return len(s)
}

// indexOr returns the index of the first sep in s[from:], or len(s).
func indexOr(s string, from int, sep string) int {
	if k := strings.Index(s[from:], sep); k >= 0 {
		return from + k
	}
	return len(s)
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// asciiLower lower-cases ASCII letters only, so indexes stay valid.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// metaCharset finds the charset an HTML document declares in a <meta> tag.
func metaCharset(b []byte) string {
	head := asciiLower(string(b[:min(len(b), 4096)]))
	i := strings.Index(head, "charset=")
	if i < 0 {
		return ""
	}
	v := strings.TrimLeft(head[i+len("charset="):], `"' `)
	n := 0
	for n < len(v) && (isLetter(v[n]) || v[n] >= '0' && v[n] <= '9' || strings.IndexByte("-_.:", v[n]) >= 0) {
		n++
	}
	return v[:n]
}
