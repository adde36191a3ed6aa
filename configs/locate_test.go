package configs

import (
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

const locSrc = `# comment [not.a.table]
top = 1
[a]
b = "x # not a comment"
"quoted.key" = 2
dotted . key = 3
multi = """
[fake]
c = 4
"""
lit = '''
'''
arr = [
  [1, 2], # ] [
  { x = 1 },
]
after = 5
[[t]]
name = "one"
[[t.sub]]
v = 1
[[t]]
name = "two"
[[t.sub]]
v = 2
[[t.sub]]
v = 3
[t.inner]
w = 4
[c.d]
'e' = 6
`

func TestLocator(t *testing.T) {
	t.Parallel()
	if _, err := toml.Decode(locSrc, new(map[string]any)); err != nil {
		t.Fatalf("test document is not TOML: %v", err)
	}
	l := newLocator(locSrc)
	tests := []struct {
		path string
		line int
	}{
		{"top", 2},
		{"a", 3},
		{"a.b", 4},
		{`a."quoted.key"`, 5},
		{"a.dotted.key", 6},
		{"a.multi", 7},
		{"a.lit", 11},
		{"a.arr", 13},
		{"a.after", 17},
		{"a.arr.x", 13}, // inside an inline table: the enclosing key
		{"t", 18},
		{"t[0]", 18},
		{"t[0].name", 19},
		{"t[0].sub[0].v", 21},
		{"t[1].name", 23},
		{"t[1].sub[0].v", 25},
		{"t[1].sub[1].v", 27},
		{"t[1].sub[1]", 26},
		{"t[1].inner.w", 29},
		{"c.d.e", 31},
		{"c.d.missing", 30},
		{"fake", 0},
		{"nothing.at.all", 0},
	}
	for _, tc := range tests {
		if got := l.line(tc.path); got != tc.line {
			t.Errorf("line(%q) = %d, want %d", tc.path, got, tc.line)
		}
	}
	if got := l.plainLines(toml.Key{"t", "sub", "v"}); len(got) != 3 || got[0] != 21 || got[2] != 27 {
		t.Errorf("plainLines(t.sub.v) = %v", got)
	}
	if got := l.plainLines(toml.Key{"t", "name"}); len(got) != 2 || got[1] != 23 {
		t.Errorf("plainLines(t.name) = %v", got)
	}
}

// FuzzLocate checks the scanner never panics or hangs, and that every key the
// toml parser sees in an accepted document gets a line inside it.
func FuzzLocate(f *testing.F) {
	f.Add(locSrc)
	f.Add(sim)
	f.Add(string(defaultTOML))
	f.Add("a = \"\"\"\\\"\"\"\"\nb = 1")
	f.Add("[x]\n\"a\\\"b\" = 1")
	f.Fuzz(func(t *testing.T, src string) {
		l := newLocator(src)
		md, err := toml.Decode(src, new(map[string]any))
		if err != nil {
			return
		}
		n := strings.Count(src, "\n") + 1
		for _, k := range md.Keys() {
			lines := l.plainLines(k)
			if len(lines) == 0 {
				t.Fatalf("no line for key %q", k)
			}
			for _, line := range lines {
				if line < 1 || line > n {
					t.Fatalf("key %q at line %d of %d", k, line, n)
				}
			}
		}
	})
}
