package sms

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/build")

// goldenMessage is what a golden file holds: Build's result, with payloads
// in hex so a reviewer can read them.
type goldenMessage struct {
	Text      string       `json:"text"`
	Encoding  string       `json:"encoding"`
	Segments  int          `json:"segments"`
	Truncated bool         `json:"truncated"`
	Parts     []goldenPart `json:"parts"`
}

type goldenPart struct {
	Seq     int    `json:"seq"`
	Total   int    `json:"total"`
	Text    string `json:"text"`
	Payload string `json:"payload"`
}

// TestBuildGolden runs every testdata/build/*.txt through Build. The first
// line of a case holds its options ("mode=gsm7 split=udh max_parts=3
// truncate=true"); the rest is the text.
func TestBuildGolden(t *testing.T) {
	t.Parallel()
	cases, err := filepath.Glob(filepath.Join("testdata", "build", "*.txt"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, path := range cases {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			got := runGoldenCase(t, path)
			goldenPath := strings.TrimSuffix(path, ".txt") + ".golden.json"
			if *update {
				if err := os.WriteFile(goldenPath, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(goldenPath)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Build differs from %s:\n got %s\nwant %s", goldenPath, got, want)
			}
		})
	}
}

func runGoldenCase(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	header, text, _ := strings.Cut(string(raw), "\n")
	opt, err := parseGoldenOptions(header)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	m, err := Build(text, opt)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if err := checkMessage(m, opt); err != nil {
		t.Fatalf("invalid message: %v", err)
	}
	g := goldenMessage{Text: m.Text, Encoding: m.Encoding.String(), Segments: m.Segments(), Truncated: m.Truncated}
	for _, p := range m.Parts {
		g.Parts = append(g.Parts, goldenPart{Seq: p.Seq, Total: p.Total, Text: p.Text, Payload: hex.EncodeToString(p.Payload)})
	}
	out, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

func parseGoldenOptions(line string) (Options, error) {
	var opt Options
	for _, field := range strings.Fields(line) {
		key, val, _ := strings.Cut(field, "=")
		var err error
		switch key {
		case "mode":
			opt.Mode, err = ParseMode(val)
		case "split":
			opt.Split, err = ParseSplitMode(val)
		case "max_parts":
			opt.MaxParts, err = strconv.Atoi(val)
		case "truncate":
			opt.Truncate, err = strconv.ParseBool(val)
		case "emoji":
			opt.Emoji, err = ParseEmojiMode(val)
		case "unreadable":
			opt.Unreadable, err = ParseUnreadableMode(val)
		default:
			err = fmt.Errorf("unknown option %q", key)
		}
		if err != nil {
			return opt, err
		}
	}
	return opt, nil
}
