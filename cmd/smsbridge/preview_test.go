package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const corpusDir = "../../bridge/corpus/testdata"

// previewJSON runs `smsbridge preview -json` with args and decodes its
// output, checking that it holds exactly the keys SPEC.md names.
func previewJSON(t *testing.T, stdin []byte, args ...string) (previewResult, int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"preview", "-json"}, args...), bytes.NewReader(stdin), &stdout, &stderr)
	var out previewResult
	if code != exitOK {
		return out, code, stderr.String()
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(stdout.Bytes(), &keys); err != nil {
		t.Fatalf("preview -json printed %q: %v", stdout.String(), err)
	}
	for _, k := range []string{"text", "encoding", "parts", "segments", "truncated"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("preview -json lacks %q: %s", k, stdout.String())
		}
	}
	if len(keys) != 5 {
		t.Errorf("preview -json has %d keys, want 5: %s", len(keys), stdout.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	return out, code, stderr.String()
}

// TestPreviewMatchesCorpus checks that preview shows, with the embedded
// default configuration (gsm7), what the corpus expects for every mail
// that needs no settings of its own.
func TestPreviewMatchesCorpus(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.eml"))
	if err != nil || len(files) < 40 {
		t.Fatalf("corpus: %d files, %v", len(files), err)
	}
	checked := 0
	for _, f := range files {
		base := strings.TrimSuffix(f, ".eml")
		if _, err := os.Stat(base + ".sms.toml"); err == nil {
			continue
		}
		want := corpusResult(t, base, "gsm7")
		got, code, stderr := previewJSON(t, nil, f)
		if code != exitOK {
			t.Errorf("%s: exit %d: %s", f, code, stderr)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: preview = %+v\ncorpus expects %+v", f, got, want)
		}
		checked++
	}
	if checked < 30 {
		t.Errorf("only %d corpus mails checked", checked)
	}
}

// corpusResult reads the expected result for mode from a corpus golden file.
func corpusResult(t *testing.T, base, mode string) previewResult {
	t.Helper()
	b, err := os.ReadFile(base + ".golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g map[string]json.RawMessage
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	var r previewResult
	if err := json.Unmarshal(g[mode], &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPreviewStdinAndConfig(t *testing.T) {
	t.Parallel()
	mail, err := os.ReadFile(filepath.Join(corpusDir, "mutt_utf8_chinese.eml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, t.TempDir(), "[sms]\nencoding = \"auto\"\n[[transports]]\nname = \"sim\"\ntype = \"simulator\"\n")
	got, code, stderr := previewJSON(t, mail, "-config", cfg)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := previewResult{Text: "备份失败\n数据库备份失败，请检查磁盘空间。🙏", Encoding: "ucs2",
		Parts: []string{"备份失败\n数据库备份失败，请检查磁盘空间。🙏"}, Segments: 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("preview = %+v, want %+v", got, want)
	}
	if got2, _, _ := previewJSON(t, mail, "-config", cfg, "-"); !reflect.DeepEqual(got2, want) {
		t.Errorf(`preview "-" = %+v, want %+v`, got2, want)
	}
}

func TestPreviewText(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	f := filepath.Join(corpusDir, "nagios_service.eml")
	if code := run([]string{"preview", f}, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"encoding: gsm7\n", "segments: 2\n", "--- part 1/2 ---\n** PROBLEM Service Alert", "--- part 2/2 ---\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("preview output lacks %q:\n%s", want, out)
		}
	}
}

func TestPreviewExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	reject := writeConfig(t, dir, "[sms]\nmax_parts = 1\non_too_long = \"reject\"\n[[transports]]\nname = \"sim\"\ntype = \"simulator\"\n")
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte("[sms]\nencodng = \"gsm7\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	nagios := filepath.Join(corpusDir, "nagios_service.eml")
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stderr string
	}{
		{"not a mail", []string{"preview", "-json"}, "just text, no header\n", exitFailure, "not a mail"},
		{"empty input", []string{"preview"}, "", exitFailure, "not a mail"},
		{"too long for reject", []string{"preview", "-json", "-config", reject, nagios}, "", exitFailure, "554 5.6.0"},
		{"missing file", []string{"preview", filepath.Join(dir, "none.eml")}, "", exitFailure, "none.eml"},
		{"unknown flag", []string{"preview", "-jsn"}, "", exitUsage, "-jsn"},
		{"two files", []string{"preview", nagios, nagios}, "", exitUsage, "at most one file"},
		{"unknown config key", []string{"preview", "-config", bad, nagios}, "", exitUsage, "bad.toml:2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := run(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.code || !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), tt.code, tt.stderr)
			}
			if code != exitOK && stdout.Len() > 0 {
				t.Errorf("stdout on failure: %q", stdout.String())
			}
		})
	}
}

func TestPreviewPrintsClass(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mail := filepath.Join(dir, "m.eml")
	if err := os.WriteFile(mail, []byte("Subject: site down\r\nX-Priority: 1 (Highest)\r\n\r\nweb-1 is down\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, dir, "[[transports]]\nname = \"sim\"\ntype = \"simulator\"\n"+
		"[[priority.rules]]\nsender = \"@news.example.com\"\nclass = \"bulk\"\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"preview", "-config", cfg, mail}, "class:    urgent\n"},
		{[]string{"preview", "-config", cfg, "-from", "letter@news.example.com", mail}, "class:    bulk\n"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tc.args, nil, &stdout, &stderr); code != exitOK {
			t.Fatalf("%v: exit %d: %s", tc.args, code, stderr.String())
		}
		if !strings.Contains(stdout.String(), tc.want) {
			t.Errorf("%v: output lacks %q:\n%s", tc.args, tc.want, stdout.String())
		}
	}
}
