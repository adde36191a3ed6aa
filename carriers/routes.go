package carriers

import "strings"

// Route sends numbers starting with Prefix ("+1", "+44", "+" for all) through
// Transports, in order of preference. Source, when set, overrides the
// transport's sender id.
type Route struct {
	Prefix     string
	Transports []string
	Source     string
}

// Routes is an ordered routing table.
type Routes []Route

// Match returns the first route whose prefix the E.164 number starts with.
// File order decides, not prefix length, so operators can read the table top
// down the way it is applied.
func (r Routes) Match(e164 string) (Route, bool) {
	for _, rt := range r {
		if strings.HasPrefix(e164, rt.Prefix) {
			return rt, true
		}
	}
	return Route{}, false
}
