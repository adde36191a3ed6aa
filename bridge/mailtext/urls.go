package mailtext

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// URLMode says how web addresses in the text are written.
type URLMode uint8

const (
	URLsKeep  URLMode = iota // as written
	URLsShort                // scheme, host and a short path ending in "…"
	URLsDrop                 // left out
)

var urlModeNames = [...]string{"keep", "short", "drop"}

func (m URLMode) String() string {
	if int(m) < len(urlModeNames) {
		return urlModeNames[m]
	}
	return fmt.Sprintf("URLMode(%d)", m)
}

// ParseURLMode parses "keep", "short" or "drop"; "" is the default, keep.
func ParseURLMode(s string) (URLMode, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	if v == "" {
		return URLsKeep, nil
	}
	for i, n := range urlModeNames {
		if v == n {
			return URLMode(i), nil
		}
	}
	return 0, fmt.Errorf("mailtext: unknown urls mode %q (want \"keep\", \"short\" or \"drop\")", s)
}

var (
	urlRE = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"]+`)
	// repeatedURLRE is a URL followed by itself in brackets, as plain-text
	// alternatives write a link whose text is its address.
	repeatedURLRE = regexp.MustCompile(`(?i)(https?://[^\s<>"()]+)\s*[<(\[](https?://[^\s<>"()\]]+)[>)\]]`)
)

// shortPath is the most of a URL's path that URLsShort keeps.
const shortPath = 12

// rewriteURLs prints a link whose text is its address once, then applies
// the mode to every address.
func rewriteURLs(s string, mode URLMode) string {
	if !strings.Contains(s, "://") {
		return s
	}
	s = repeatedURLRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := repeatedURLRE.FindStringSubmatch(m)
		if sameURL(sub[1], sub[2]) {
			return sub[1]
		}
		return m
	})
	switch mode {
	case URLsShort:
		return urlRE.ReplaceAllStringFunc(s, shortenURL)
	case URLsDrop:
		return urlRE.ReplaceAllString(s, "")
	}
	return s
}

func sameURL(a, b string) bool {
	trim := func(u string) string { return strings.TrimRight(asciiLower(u), "/.,;:") }
	return trim(a) == trim(b)
}

// shortenURL keeps the scheme, the host and up to shortPath characters of
// the rest, ending in "…" when anything was left out. Punctuation that
// ends a sentence stays outside the address.
func shortenURL(u string) string {
	tail := ""
	if t := strings.TrimRight(u, ".,;:!?)'"); t != u {
		u, tail = t, u[len(t):]
	}
	scheme, rest, _ := strings.Cut(u, "://")
	host, path, hasPath := strings.Cut(rest, "/")
	if !hasPath || path == "" {
		return u + tail
	}
	if utf8.RuneCountInString(path) <= shortPath {
		return u + tail
	}
	n := 0
	for i := range path {
		if n == shortPath {
			path = path[:i]
			break
		}
		n++
	}
	return scheme + "://" + host + "/" + path + "…" + tail
}
