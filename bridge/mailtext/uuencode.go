package mailtext

import (
	"regexp"
	"strings"
)

// uuBeginRE matches the line that opens a uuencoded file ("begin 644
// report.pdf"), as Outlook Express, Eudora and Pine put attachments inline
// in a plain text body.
var uuBeginRE = regexp.MustCompile(`^begin(-base64)? [0-7]{3,4} \S`)

// dropUUBlocks removes inline uuencoded files from plain text and returns
// the file names it dropped.
func dropUUBlocks(s string) (string, []string) {
	if !strings.Contains(s, "begin ") && !strings.Contains(s, "begin-base64 ") {
		return s, nil // the common case: no work
	}
	lines := strings.Split(s, "\n")
	kept := lines[:0]
	var names []string
	for i := 0; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], "\r")
		if !uuBeginRE.MatchString(l) {
			kept = append(kept, lines[i])
			continue
		}
		end, ok := uuBlockEnd(lines, i+1, strings.HasPrefix(l, "begin-base64"))
		if !ok {
			kept = append(kept, lines[i])
			continue
		}
		_, name, _ := strings.Cut(l[strings.IndexByte(l, ' ')+1:], " ")
		names = append(names, name)
		i = end
	}
	return strings.Join(kept, "\n"), names
}

// uuBlockEnd returns the index of the "end" line (or "====" for
// begin-base64) closing a block whose data starts at lines[from]. A block
// cut off by the end of the text ends there. ok is false when a line in
// between is not encoded data: the "begin" line was text after all.
func uuBlockEnd(lines []string, from int, b64 bool) (int, bool) {
	closing := "end"
	if b64 {
		closing = "===="
	}
	for k := from; k < len(lines); k++ {
		l := strings.TrimRight(lines[k], "\r")
		switch {
		case l == closing:
			return k, k > from
		case !isUULine(l, b64):
			return 0, false
		}
	}
	return len(lines) - 1, len(lines) > from+1
}

// isUULine reports whether l uses only the characters of its encoding.
func isUULine(l string, b64 bool) bool {
	for i := 0; i < len(l); i++ {
		c := l[i]
		if b64 {
			if !(isLetter(c) || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=') {
				return false
			}
		} else if c < 0x20 || c > 0x60 {
			return false
		}
	}
	return true
}
