package mailtext

import "strings"

// voidTags have no end tag: hiding one hides nothing.
var voidTags = map[string]bool{
	"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true,
	"img": true, "input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true,
}

// isHidden reports whether a tag's style keeps its content from being
// seen: display:none, visibility:hidden, a zero font size, or a zero
// height with the overflow hidden (how newsletters hide preheader text).
func isHidden(attrs string) bool {
	style := attr(attrs, "style")
	if style == "" {
		return false
	}
	st := strings.Join(strings.Fields(asciiLower(style)), "")
	return strings.Contains(st, "display:none") || strings.Contains(st, "visibility:hidden") ||
		zeroValue(st, "font-size:") ||
		zeroValue(st, "max-height:") && strings.Contains(st, "overflow:hidden")
}

// zeroValue reports whether property prop in style st is set to zero
// ("0", "0px", "0pt", "0em", "0%").
func zeroValue(st, prop string) bool {
	for i := 0; ; {
		j := strings.Index(st[i:], prop)
		if j < 0 {
			return false
		}
		i += j + len(prop)
		v := st[i:]
		if end := strings.IndexAny(v, ";\"'!"); end >= 0 {
			v = v[:end]
		}
		switch strings.TrimLeft(v, "0") {
		case "", "px", "pt", "em", "rem", "%":
			if strings.HasPrefix(v, "0") {
				return true
			}
		}
	}
}

// skipHidden returns the index after the end tag that closes the element
// name opened just before next, counting nested elements of the same name.
// ok is false when it is never closed: the content then stays, and the
// name is remembered so that later hidden elements are not searched again.
func (z *simplifier) skipHidden(name string, next int) (end int, ok bool) {
	if z.unclosed["hidden:"+name] {
		return next, false
	}
	depth := 1
	for i := next; i < len(z.lower); {
		k := strings.IndexByte(z.lower[i:], '<')
		if k < 0 {
			break
		}
		i += k + 1
		closing := strings.HasPrefix(z.lower[i:], "/")
		j := i
		if closing {
			j++
		}
		if !strings.HasPrefix(z.lower[j:], name) || j+len(name) < len(z.lower) && isNameByte(z.lower[j+len(name)]) {
			continue
		}
		te := tagEnd(z.src, i-1)
		switch {
		case closing:
			depth--
		case !strings.HasSuffix(z.src[j:te], "/"):
			depth++
		}
		if depth == 0 {
			return min(te+1, len(z.src)), true
		}
		i = te
	}
	z.unclosed["hidden:"+name] = true
	return next, false
}

// hasText reports whether the output so far holds any text.
func (z *simplifier) hasText() bool {
	return strings.TrimFunc(z.out.String(), func(r rune) bool { return r <= ' ' || r == '\ue000' }) != ""
}

func isNameByte(c byte) bool {
	return isLetter(c) || c >= '0' && c <= '9' || c == ':' || c == '-'
}
