package packaging

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// systemdAnalyze finds systemd-analyze; CI must have it.
func systemdAnalyze(t *testing.T) string {
	t.Helper()
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("systemd-analyze is missing (apt-get install systemd)")
		}
		t.Skip("systemd-analyze is not installed (apt-get install systemd); skipping the unit check")
	}
	return analyze
}

// installUnit copies the unit into a directory of its own, with ExecStart
// naming this test binary (verify insists that it exists), and the given
// drop-ins (name → content) into smsbridge.service.d beside it, where
// systemd-analyze reads them as systemd would. It returns the unit's path.
func installUnit(t *testing.T, dropIns map[string][]byte) string {
	t.Helper()
	unit, err := os.ReadFile("smsbridge.service")
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(unit, []byte("ExecStart="+installedBinary+" ")) {
		t.Fatalf("ExecStart does not run %s", installedBinary)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "smsbridge.service")
	if err := os.WriteFile(path, bytes.ReplaceAll(unit, []byte(installedBinary), []byte(self)), 0o644); err != nil {
		t.Fatal(err)
	}
	if len(dropIns) > 0 {
		if err := os.Mkdir(path+".d", 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, b := range dropIns {
		if err := os.WriteFile(filepath.Join(path+".d", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func runAnalyze(analyze string, args ...string) (string, error) {
	cmd := exec.Command(analyze, args...)
	cmd.Env = append(os.Environ(), "SYSTEMD_LOG_LEVEL=warning")
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// unitLines are the lines of systemd-analyze's output about our unit or
// its drop-ins.
func unitLines(out string) []string {
	var ours []string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "smsbridge.service") {
			ours = append(ours, line)
		}
	}
	return ours
}

// TestSystemdModemDropIn: the modem drop-in verifies with the unit, is read
// (a key it does not know is reported), and wins over the unit's
// PrivateDevices=yes, as systemd-analyze security reads the merged unit.
func TestSystemdModemDropIn(t *testing.T) {
	analyze := systemdAnalyze(t)
	dropIn, err := os.ReadFile("smsbridge.service.d/modem.conf")
	if err != nil {
		t.Fatal(err)
	}
	unit := installUnit(t, map[string][]byte{"modem.conf": dropIn})
	if out, err := runAnalyze(analyze, "verify", unit); err != nil || len(unitLines(out)) > 0 {
		t.Errorf("systemd-analyze verify with the drop-in: %v\n%s", err, out)
	}
	// The control: the same drop-in with a key systemd does not know must be
	// complained about, or verify never read it.
	broken := installUnit(t, map[string][]byte{"modem.conf": append(dropIn, "NoSuchKey=1\n"...)})
	if out, _ := runAnalyze(analyze, "verify", broken); !strings.Contains(out, "modem.conf") || !strings.Contains(out, "NoSuchKey") {
		t.Errorf("verify did not read the drop-in:\n%s", out)
	}

	devices := func(unit string) string {
		t.Helper()
		out, err := runAnalyze(analyze, "security", "--offline=true", "--no-pager", unit)
		if err != nil && !strings.Contains(out, "PrivateDevices=") {
			t.Fatalf("systemd-analyze security: %v\n%s", err, out)
		}
		var lines []string
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, "PrivateDevices=") || strings.Contains(l, "DeviceAllow=") || strings.Contains(l, "SupplementaryGroups=") {
				lines = append(lines, strings.Join(strings.Fields(l), " "))
			}
		}
		return strings.Join(lines, "\n")
	}
	plain, modem := devices(installUnit(t, nil)), devices(unit)
	for _, tc := range []struct {
		what, in, want string
	}{
		{"the plain unit hides devices", plain, "no access to hardware devices"},
		{"the modem unit sees devices", modem, "potentially has access to hardware devices"},
		{"the modem unit allows USB serial", modem, "char-ttyUSB:rw"},
		{"the modem unit allows ACM serial", modem, "char-ttyACM:rw"},
		{"the modem unit has the dialout group", modem, "runs with supplementary groups"},
	} {
		if !strings.Contains(tc.in, tc.want) {
			t.Errorf("%s: no %q in\n%s", tc.what, tc.want, tc.in)
		}
	}
}

// TestSystemdClusterDropIn: the cluster node's drop-in verifies with the
// unit and is read (a key it does not know is reported).
func TestSystemdClusterDropIn(t *testing.T) {
	analyze := systemdAnalyze(t)
	dropIn, err := os.ReadFile("smsbridge.service.d/cluster.conf")
	if err != nil {
		t.Fatal(err)
	}
	unit := installUnit(t, map[string][]byte{"cluster.conf": dropIn})
	if out, err := runAnalyze(analyze, "verify", unit); err != nil || len(unitLines(out)) > 0 {
		t.Errorf("systemd-analyze verify with the drop-in: %v\n%s", err, out)
	}
	broken := installUnit(t, map[string][]byte{"cluster.conf": append(dropIn, "NoSuchKey=1\n"...)})
	if out, _ := runAnalyze(analyze, "verify", broken); !strings.Contains(out, "cluster.conf") || !strings.Contains(out, "NoSuchKey") {
		t.Errorf("verify did not read the drop-in:\n%s", out)
	}
}
