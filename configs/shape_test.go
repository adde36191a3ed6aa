package configs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// TestShapeLimits: files nested too deep or too large are refused before
// the toml parser sees them, with the line; brackets, braces and dots in
// strings and comments do not count.
func TestShapeLimits(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("a.", MaxNesting)
	tests := []struct {
		name, src string
		line      int // 0: accepted
	}{
		{"dotted header", "[" + deep + "x]\n", 1},
		{"dotted key", sim + deep + "x = 1\n", 4},
		{"inline tables", "x = " + strings.Repeat("{a=", 20000) + "1" + strings.Repeat("}", 20000) + "\n", 1},
		{"arrays", "\n\nx = " + strings.Repeat("[", MaxNesting+1) + strings.Repeat("]", MaxNesting+1) + "\n", 3},
		{"after a multi-line string", "[smtp]\nhostname = '''\n\n'''\n" + "x = " + strings.Repeat("[", 30) + "\n", 5},
		{"at the limit", sim + "[aliases]\n" + "\"" + deep + "\" = [\"4151234567\"]\n" +
			"# " + strings.Repeat("[{.", 100) + "\n" + `x = "[{.` + strings.Repeat("[", 40) + "\"\n" +
			"y = \"\"\"\n" + strings.Repeat("{", 40) + "\\\"\"\"\n\"\"\"\n" + "z = '" + strings.Repeat(".", 40) + "'\n", 0},
		{"floats and dates", sim + "[sms]\nvalidity = \"1.5h\"\n" + strings.Repeat("w = 1.5\n", 40), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkShape(tt.src, "f.toml")
			var ce *Error
			switch {
			case tt.line == 0 && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.line == 0:
			case !errors.As(err, &ce) || ce.Line != tt.line || !strings.Contains(ce.Msg, "nested deeper"):
				t.Fatalf("got %v, want a nesting error at line %d", err, tt.line)
			}
		})
	}
	if err := checkShape(strings.Repeat("# x\n", MaxFileBytes/4+1), "big.toml"); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("a file over MaxFileBytes: %v", err)
	}
}

// TestLoadReadsNoMoreThanTheCap: a huge file is refused without reading it
// all.
func TestLoadReadsNoMoreThanTheCap(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "huge.toml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 40); err != nil { // sparse: costs no disk
		t.Skipf("cannot make a sparse file: %v", err)
	}
	f.Close()
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("Load of a 1 TiB file: %v", err)
	}
}

// depth is how deep tables and arrays nest in a decoded document.
func depth(v any) int {
	d := 0
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			d = max(d, depth(e))
		}
		return d + 1
	case []map[string]any:
		for _, e := range v {
			d = max(d, depth(e))
		}
		return d + 1
	case []any:
		for _, e := range v {
			d = max(d, depth(e))
		}
		return d + 1
	}
	return 0
}

// FuzzCheckShape: whatever checkShape lets through decodes (when it
// decodes at all) to a bounded depth, so its lexer cannot be fooled into
// passing deep nesting hidden behind a string or comment it misread.
func FuzzCheckShape(f *testing.F) {
	for _, s := range []string{sim, string(defaultTOML), "x = \"[\" \n y = [[1]]", "a.b.c = {d.e = [1, {f = 2}]}",
		"s = '''\n'''' \n[a.b]\n", "s = \"\"\"\\\"\"\"\"\n", "# [[[\n[x]\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if checkShape(src, "fuzz.toml") != nil {
			return
		}
		var raw map[string]any
		if _, err := toml.Decode(src, &raw); err != nil {
			return
		}
		if d := depth(raw); d > MaxNesting*MaxNesting {
			t.Fatalf("checkShape passed a document %d levels deep", d)
		}
	})
}
