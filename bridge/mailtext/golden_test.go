package mailtext

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden .txt files from the current output")

// TestGolden runs every testdata/golden/*.eml through Extract and compares
// the result with the .txt next to it. An optional .opts file sets options:
// "subject: ignore", "show_links: true", "urls: short" and any number of
// "cut_after: <regexp>" and "drop: <regexp>" lines.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.eml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("golden corpus has %d mails, want at least 20", len(files))
	}
	for _, f := range files {
		base := strings.TrimSuffix(f, ".eml")
		t.Run(filepath.Base(base), func(t *testing.T) {
			t.Parallel()
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Extract(bytes.NewReader(in), goldenOptions(t, base+".opts"))
			got := formatResult(res, err)
			if *update {
				if err := os.WriteFile(base+".txt", []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(base + ".txt")
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s.txt\n--- got ---\n%s--- want ---\n%s", base, got, want)
			}
		})
	}
}

func goldenOptions(t *testing.T, path string) Options {
	t.Helper()
	var opt Options
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return opt
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		k, v, _ := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "subject":
			if opt.Subject, err = ParseSubjectMode(v); err != nil {
				t.Fatal(err)
			}
		case "show_links":
			opt.ShowLinks = v == "true"
		case "cut_after":
			opt.CutAfter = append(opt.CutAfter, regexp.MustCompile(v))
		case "drop":
			opt.Drop = append(opt.Drop, regexp.MustCompile(v))
		case "urls":
			if opt.URLs, err = ParseURLMode(v); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("%s: unknown option line %q", path, line)
		}
	}
	return opt
}

// formatResult renders a Result for golden comparison: the header fields,
// one line per warning and per omitted part, a blank line, then the text.
func formatResult(res *Result, err error) string {
	if err != nil {
		return "Error: " + err.Error() + "\n"
	}
	var sb strings.Builder
	sb.WriteString("Subject: " + res.Subject + "\n")
	sb.WriteString("Message-ID: " + res.MessageID + "\n")
	for _, w := range res.Warnings {
		sb.WriteString("Warning: " + w + "\n")
	}
	for _, o := range res.Omitted {
		sb.WriteString("Omitted: " + o + "\n")
	}
	sb.WriteString("\n" + res.Text + "\n")
	return sb.String()
}
