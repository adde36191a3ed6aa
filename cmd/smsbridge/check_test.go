package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShippedExamplesPassCheck runs `smsbridge check` on every example in
// configs/. An example naming its TLS certificate at the production path
// gets a throwaway certificate there instead (the path is the only change),
// since check loads it as serve does.
func TestShippedExamplesPassCheck(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../configs/*.toml")
	if err != nil || len(files) < 3 {
		t.Fatalf("examples: %v, %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			text := string(src)
			if strings.Contains(text, "tls_cert") {
				writeTestCert(t, dir)
				text = strings.NewReplacer(
					`tls_cert = "/etc/smsbridge/tls/fullchain.pem"`, `tls_cert = "`+filepath.Join(dir, "cert.pem")+`"`,
					`tls_key = "/etc/smsbridge/tls/privkey.pem"`, `tls_key = "`+filepath.Join(dir, "key.pem")+`"`,
					// cluster.toml's routes: the test certificate is its own CA
					`"/etc/smsbridge/route.pem"`, `"`+filepath.Join(dir, "cert.pem")+`"`,
					`"/etc/smsbridge/route.key"`, `"`+filepath.Join(dir, "key.pem")+`"`,
					`"/etc/smsbridge/route-ca.pem"`, `"`+filepath.Join(dir, "cert.pem")+`"`,
				).Replace(text)
			}
			path := filepath.Join(dir, filepath.Base(f))
			if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			if code := run([]string{"check", "-config", path}, nil, &stdout, &stderr); code != 0 {
				t.Fatalf("check %s: exit %d\n%s", f, code, stderr.String())
			}
			if !strings.Contains(stdout.String(), "is valid") {
				t.Errorf("check output:\n%s", stdout.String())
			}
		})
	}
}

// TestCheckFailsWhereServeFails: check refuses what serve would refuse at
// start, not only what the file format allows.
func TestCheckFailsWhereServeFails(t *testing.T) {
	t.Parallel()
	base := "[smtp]\nlisten = [\"127.0.0.1:0\"]\n%s\n[store]\npath = \"%DIR%/db\"\n[[transports]]\nname = \"smsc\"\ntype = \"smpp\"\naddress = \"127.0.0.1:2775\"\n%s\n"
	tests := []struct {
		name, smtp, transport, want string
		store                       string // more of [store], and other sections after it
	}{
		{"missing certificate files", `tls_cert = "%DIR%/none.pem"` + "\n" + `tls_key = "%DIR%/none.key"`, "",
			"smtp.tls_cert: loading", ""},
		{"SMPP password too long", "", `password = "123456789"`,
			":10: transports.password: 9 bytes long, at most 8 allowed", ""},
		{"missing route certificate", "", "", "cluster: route certificate",
			"backend = \"nats\"\n[cluster]\nlisten = \"127.0.0.1:0\"\nclient_listen = \"127.0.0.1:0\"\nreplicas = 1\n" +
				`tls_cert = "%DIR%/none.pem"` + "\n" + `tls_key = "%DIR%/none.key"`},
		{"missing nkey file", "", "", "cluster: nkey_file",
			"backend = \"nats\"\n[nats]\nurls = [\"nats://127.0.0.1:1\"]\n" + `nkey_file = "%DIR%/none.nk"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := strings.Replace(strings.Replace(base, "%s", tt.smtp, 1), "%s", tt.transport, 1)
			if tt.store != "" {
				text = strings.Replace(text, "/db\"\n", "/db\"\n"+tt.store+"\n", 1)
			}
			path := writeConfig(t, t.TempDir(), text)
			var stdout, stderr bytes.Buffer
			code := run([]string{"check", "-config", path}, nil, &stdout, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), tt.want) {
				t.Fatalf("check: exit %d, %q; want 2 and %q", code, stderr.String(), tt.want)
			}
			serveCode := run([]string{"serve", "-config", path}, nil, &stdout, &stderr)
			if serveCode != code {
				t.Errorf("serve exit %d, check exit %d", serveCode, code)
			}
		})
	}
}

// TestCheckWarnsOneReplica: a cluster that keeps one copy of the queue is
// valid, and check says what that loses.
func TestCheckWarnsOneReplica(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, t.TempDir(), "[smtp]\nlisten = [\"127.0.0.1:0\"]\n[store]\npath = \"%DIR%/db\"\nbackend = \"nats\"\n"+
		"[cluster]\nlisten = \"127.0.0.1:0\"\nclient_listen = \"127.0.0.1:0\"\nreplicas = 1\n"+
		"[[transports]]\nname = \"sim\"\ntype = \"simulator\"\n")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"check", "-config", path}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("check: exit %d\n%s", code, stderr.String())
	}
	if want := "# warning: cluster.replicas = 1: each stream and bucket lives on one node; if its disk is lost, so is the queue"; !strings.Contains(stdout.String(), want) {
		t.Errorf("check output lacks %q:\n%s", want, stdout.String())
	}
}
