// Package packaging holds the files that install smsbridge as a service
// (systemd, Docker, Postfix); its tests check them.
package packaging

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
)

const installedBinary = "/usr/local/bin/smsbridge"

// TestSystemdUnitVerifies runs systemd-analyze verify on the unit. verify
// insists that ExecStart exists, so a copy names this test binary instead.
func TestSystemdUnitVerifies(t *testing.T) {
	analyze := systemdAnalyze(t)
	out, err := runAnalyze(analyze, "verify", installUnit(t, nil))
	// Complaints about other units on the machine are not this unit's.
	if ours := unitLines(out); err != nil || len(ours) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func TestSystemdUnitIsSandboxed(t *testing.T) {
	t.Parallel()
	unit, err := os.ReadFile("smsbridge.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DynamicUser=yes", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
		"PrivateTmp=yes", "CapabilityBoundingSet=\n", "RestrictAddressFamilies=", "SystemCallFilter=@system-service",
		"StateDirectory=smsbridge", "ExecReload=/bin/kill -HUP $MAINPID"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("the unit lacks %q", want)
		}
	}
}

func TestDockerfileIsMultiStageAndNonRoot(t *testing.T) {
	t.Parallel()
	df, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	from := regexp.MustCompile(`(?m)^FROM `).FindAllIndex(df, -1)
	if len(from) < 2 || !bytes.Contains(df, []byte("COPY --from=build")) {
		t.Error("the Dockerfile is not multi-stage")
	}
	users := regexp.MustCompile(`(?m)^USER (\S+)`).FindAllSubmatch(df, -1)
	if len(users) == 0 {
		t.Fatal("the Dockerfile sets no USER")
	}
	if last := string(users[len(users)-1][1]); last == "root" || strings.HasPrefix(last, "0") {
		t.Errorf("the image runs as %s", last)
	}
}

func TestPostfixTransportLine(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("postfix/transport")
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`(?m)^(\S+)\s+smtp:\[127\.0\.0\.1\]:2525$`)
	if m := line.FindSubmatch(b); m == nil || string(m[1]) != "sms.example.com" {
		t.Error("no active transport line routing sms.example.com to smsbridge")
	}
	cf, err := os.ReadFile("postfix/main.cf")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(cf, []byte("transport_maps = hash:/etc/postfix/transport")) {
		t.Error("main.cf does not use the transport map")
	}
}
