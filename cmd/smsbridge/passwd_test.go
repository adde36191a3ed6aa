package main

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestPasswd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, stdin string
		args        []string
		code        int
		stderr      string
	}{
		{"line", "correct horse\n", []string{"-cost", "4"}, exitOK, ""},
		{"crlf", "correct horse\r\n", []string{"-cost", "4"}, exitOK, ""},
		{"no newline", "correct horse", []string{"-cost", "4"}, exitOK, ""},
		{"empty", "\n", nil, exitUsage, "empty password"},
		{"nothing", "", nil, exitUsage, "no password"},
		{"too long", strings.Repeat("x", 73) + "\n", nil, exitUsage, "longer than 72"},
		{"bad cost", "pw\n", []string{"-cost", "99"}, exitUsage, "-cost"},
		{"argument", "pw\n", []string{"secret"}, exitUsage, "no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errb bytes.Buffer
			code := run(append([]string{"passwd"}, tt.args...), strings.NewReader(tt.stdin), &out, &errb)
			if code != tt.code || !strings.Contains(errb.String(), tt.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d, %q", code, errb.String(), tt.code, tt.stderr)
			}
			if code != exitOK {
				if strings.Contains(errb.String(), "secret") {
					t.Errorf("stderr repeats the input: %q", errb.String())
				}
				return
			}
			hash := strings.TrimSpace(out.String())
			if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte("correct horse")); err != nil {
				t.Fatalf("hash %q does not match: %v", hash, err)
			}
			if strings.Contains(out.String()+errb.String(), "horse") {
				t.Error("the password was echoed")
			}
		})
	}
}
