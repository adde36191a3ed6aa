package configs

import (
	"strings"

	"github.com/BurntSushi/toml"
)

// arrays are the arrays of tables in a Config, with a value to decode one
// entry into.
var arrays = []struct {
	key   string
	entry func() any
}{
	{"transports", func() any { return new(Transport) }},
	{"routes", func() any { return new(Route) }},
	{"smtp.users", func() any { return new(User) }},
}

// entryPath adds the entry index to a key inside an array of tables
// ("transports.window" → "transports[1].window"): the toml package names
// the key but not the entry. Each entry is decoded alone to find the first
// that fails.
func entryPath(src, key string) string {
	for _, a := range arrays {
		rest, ok := strings.CutPrefix(key, a.key+".")
		if !ok {
			continue
		}
		if i := failingEntry(src, a.key, a.entry); i >= 0 {
			return indexPath(a.key, i) + "." + rest
		}
	}
	return key
}

func failingEntry(src, key string, entry func() any) int {
	var doc struct {
		Transports []toml.Primitive `toml:"transports"`
		Routes     []toml.Primitive `toml:"routes"`
		SMTP       struct {
			Users []toml.Primitive `toml:"users"`
		} `toml:"smtp"`
	}
	md, err := toml.Decode(src, &doc)
	if err != nil {
		return -1
	}
	prims := map[string][]toml.Primitive{
		"transports": doc.Transports, "routes": doc.Routes, "smtp.users": doc.SMTP.Users,
	}[key]
	for i, p := range prims {
		if md.PrimitiveDecode(p, entry()) != nil {
			return i
		}
	}
	return -1
}
