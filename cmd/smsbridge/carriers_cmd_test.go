package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/smsbridge/smsbridge/carriers"
)

func TestCarriersCommand(t *testing.T) {
	t.Parallel()
	some := carriers.All()[0]
	tests := []struct {
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{[]string{"carriers"}, exitOK, []string{"CARRIER", some.Name, some.SMSDomains[0]}, ""},
		{[]string{"carriers", "list"}, exitOK, []string{"CARRIER", some.Name}, ""},
		{[]string{"carriers", "lookup", "4151234567@" + strings.ToUpper(some.SMSDomains[0])}, exitOK, []string{some.Name}, ""},
		{[]string{"carriers", "lookup", some.SMSDomains[0] + "."}, exitOK, []string{some.Name}, ""},
		{[]string{"carriers", "lookup", "4151234567@example.com"}, exitFailure, nil, "not a known carrier"},
		{[]string{"carriers", "lookup"}, exitUsage, nil, "usage"},
		{[]string{"carriers", "frobnicate"}, exitUsage, nil, "usage"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(tt.args, strings.NewReader(""), &out, &errb)
		if code != tt.code || !strings.Contains(errb.String(), tt.stderr) {
			t.Errorf("%v: exit %d, stderr %q", tt.args, code, errb.String())
		}
		for _, want := range tt.stdout {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%v: output lacks %q:\n%s", tt.args, want, out.String())
			}
		}
	}
	var out bytes.Buffer
	run([]string{"carriers", "list"}, strings.NewReader(""), &out, &out)
	if lines := strings.Count(out.String(), "\n"); lines != len(carriers.All())+1 {
		t.Errorf("list has %d lines for %d carriers", lines, len(carriers.All()))
	}
}
