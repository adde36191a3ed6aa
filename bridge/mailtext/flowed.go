package mailtext

import "strings"

// unflow undoes format=flowed (RFC 3676): a line ending in a space
// continues on the next line of the same quote depth. Space-stuffing is
// removed; with DelSp=yes the trailing space itself is dropped too.
func unflow(s string, delSp bool) string {
	var sb strings.Builder
	sb.Grow(len(s))
	prevFlowed, prevDepth := false, 0
	for i, l := range strings.Split(s, "\n") {
		depth := 0
		for depth < len(l) && l[depth] == '>' {
			depth++
		}
		content := strings.TrimPrefix(l[depth:], " ")
		sig := content == "-- "
		flowed := !sig && strings.HasSuffix(content, " ")
		if flowed && delSp {
			content = content[:len(content)-1]
		}
		if !prevFlowed || depth != prevDepth || sig {
			if i > 0 {
				sb.WriteByte('\n')
			}
			if depth > 0 {
				sb.WriteString(strings.Repeat(">", depth))
				sb.WriteByte(' ')
			}
		}
		sb.WriteString(content)
		prevFlowed, prevDepth = flowed, depth
	}
	return sb.String()
}
