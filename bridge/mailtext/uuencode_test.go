package mailtext

import (
	"slices"
	"testing"
)

func TestDropUUBlocks(t *testing.T) {
	t.Parallel()
	const data = "M5&AI<R!I<R!A('1E<W0@9FEL90H`\n`\n"
	tests := []struct {
		name, in, want string
		files          []string
	}{
		{"none", "hello\nworld", "hello\nworld", nil},
		{"block between text", "see file\nbegin 644 a.txt\n" + data + "end\nbye", "see file\nbye", []string{"a.txt"}},
		{"CRLF and empty padding line", "x\r\nbegin 0644 b c.bin\r\n" + "M86)C\r\n\r\nend\r\ny", "x\r\ny", []string{"b c.bin"}},
		{"cut off at the end", "x\nbegin 644 a\nM86)C\nM86)C", "x", []string{"a"}},
		{"base64 form", "x\nbegin-base64 644 a.png\niVBORw0KGgo=\n====\ny", "x\ny", []string{"a.png"}},
		{"prose after begin", "begin 644 is a mode\nthat we set\nend", "begin 644 is a mode\nthat we set\nend", nil},
		{"begin without data", "begin 644 a\nend\nz", "begin 644 a\nend\nz", nil},
		{"sentence", "we begin at 9\nend", "we begin at 9\nend", nil},
	}
	for _, tt := range tests {
		got, files := dropUUBlocks(tt.in)
		if got != tt.want || !slices.Equal(files, tt.files) {
			t.Errorf("%s: dropUUBlocks(%q) = %q, %q; want %q, %q", tt.name, tt.in, got, files, tt.want, tt.files)
		}
	}
}
