package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestSendReadsStdin: `send -to N -` and `send -to N` take the text from
// stdin, as alert scripts pipe it; a literal "-" is never sent.
func TestSendReadsStdin(t *testing.T) {
	t.Parallel()
	cfg := opsConfigFile(t, t.TempDir(), "")
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"dash", []string{"-"}},
		{"absent", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := "disk full on db-" + tc.name
			var stdout, stderr bytes.Buffer
			args := append([]string{"send", "-config", cfg, "-to", "4151234567"}, tc.args...)
			if code := run(args, strings.NewReader(text+"\n"), &stdout, &stderr); code != 0 {
				t.Fatalf("send: %d %s%s", code, stdout.String(), stderr.String())
			}
			m := queuedID.FindStringSubmatch(stdout.String())
			if m == nil {
				t.Fatalf("send printed %q", stdout.String())
			}
			out, code := runCmd(t, queue, "-config", cfg, "-json", "show", m[1])
			if code != 0 || !strings.Contains(out, `"text": "`+text+`"`) {
				t.Fatalf("show: %d %s", code, out)
			}
		})
	}
}
