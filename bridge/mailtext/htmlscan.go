package mailtext

import "strings"

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
