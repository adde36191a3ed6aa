package corpus_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/bridge/smtpbackend"
	"github.com/smsbridge/smsbridge/configs"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current output")

// modes are the four values of [sms] encoding; every mail is converted in
// each of them.
var modes = []string{"gsm7", "ascii", "ucs2", "auto"}

const minCorpus = 40

// golden is what a golden file holds.
type golden struct {
	Subject  string   `json:"subject"`
	Warnings []string `json:"warnings,omitempty"`
	GSM7     result   `json:"gsm7"`
	ASCII    result   `json:"ascii"`
	UCS2     result   `json:"ucs2"`
	Auto     result   `json:"auto"`
}

// result is one conversion, in the shape of `smsbridge preview -json`, or
// the SMTP reply that refuses the mail.
type result struct {
	Text      string   `json:"text,omitempty"`
	Encoding  string   `json:"encoding,omitempty"`
	Parts     []string `json:"parts,omitempty"`
	Segments  int      `json:"segments,omitempty"`
	Truncated bool     `json:"truncated,omitempty"`
	Error     string   `json:"error,omitempty"`
}

func TestCorpus(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < minCorpus {
		t.Fatalf("corpus has %d mails, want at least %d", len(files), minCorpus)
	}
	sources, err := os.ReadFile(filepath.Join("testdata", "SOURCES.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".eml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if !bytes.Contains(sources, []byte("| "+name+" |")) {
				t.Errorf("%s is not listed in testdata/SOURCES.md", name)
			}
			compareGolden(t, strings.TrimSuffix(f, ".eml"), convertAll(t, f))
		})
	}
}

// convertAll converts one mail in every mode, checking each result's
// promises on the way.
func convertAll(t *testing.T, path string) golden {
	t.Helper()
	mail, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	for i, mode := range modes {
		cfg := caseConfig(t, strings.TrimSuffix(path, ".eml"), mode)
		res, msg, err := cfg.Convert(mail)
		if i == 0 && res != nil {
			g.Subject, g.Warnings = res.Subject, res.Warnings
		}
		r := result{}
		if err != nil {
			r.Error = smtpbackend.Reply(err).Error() // what the sender is answered
		} else {
			checkMessage(t, mode, msg, cfg.SMS)
			r = result{Text: msg.Text, Encoding: msg.Encoding.String(), Segments: msg.Segments(), Truncated: msg.Truncated}
			for _, p := range msg.Parts {
				r.Parts = append(r.Parts, p.Text)
			}
		}
		*[]*result{&g.GSM7, &g.ASCII, &g.UCS2, &g.Auto}[i] = r
	}
	return g
}

// caseConfig derives the gateway's configuration for one mail: its
// NAME.sms.toml settings, with encoding set to mode.
func caseConfig(t *testing.T, base, mode string) *bridge.Config {
	t.Helper()
	settings, err := os.ReadFile(base + ".sms.toml")
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	file := "[sms]\n" + string(settings) +
		"\n[[transports]]\nname = \"simulator\"\ntype = \"simulator\"\n"
	c, err := configs.Parse([]byte(file), base+".sms.toml")
	if err != nil {
		t.Fatalf("configuration: %v", err)
	}
	c.SMS.Encoding = mode
	cfg, err := bridge.ConfigFrom(c)
	if err != nil {
		t.Fatalf("configuration: %v", err)
	}
	return &cfg
}

func compareGolden(t *testing.T, base string, g golden) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(g); err != nil {
		t.Fatal(err)
	}
	path := base + ".golden.json"
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("conversion differs from %s\n--- got ---\n%s--- want ---\n%s", path, buf.Bytes(), want)
	}
}
