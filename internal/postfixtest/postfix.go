// Package postfixtest runs a private Postfix instance for a test: its own
// main.cf and master.cf, queue and data directories in a temporary
// directory, one SMTP listener on a free loopback port, no local delivery,
// stopped when the test ends. It needs the postfix binaries and root (the
// master process starts its daemons as the postfix user); a test is
// skipped only when postfix is not installed.
package postfixtest

import (
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Instance is a running Postfix.
type Instance struct {
	Addr string // host:port of its SMTP listener
	Dir  string // its configuration directory

	t    testing.TB
	root string
}

// postfixBin finds the postfix command, which Debian puts in /usr/sbin
// (often not on a test's PATH).
func postfixBin(name string) (string, bool) {
	if p, err := exec.LookPath(name); err == nil {
		return p, true
	}
	p := filepath.Join("/usr/sbin", name)
	_, err := os.Stat(p)
	return p, err == nil
}

// Start starts Postfix with the settings in main (main.cf parameters)
// added to, and overriding, a base that keeps it to loopback and to
// itself: no DNS, no local delivery, short retry times. Maps named in
// main can be written first with Map.
func Start(t testing.TB, main map[string]string) *Instance {
	t.Helper()
	p := New(t)
	p.Start(main)
	return p
}

// New prepares an instance's directory without starting it, so that maps
// can be written into it (Map) before Start.
func New(t testing.TB) *Instance {
	t.Helper()
	if _, ok := postfixBin("postfix"); !ok {
		t.Skip("postfix is not installed (scripts/test installs it): skipping the test against a real Postfix")
	}
	// The postfix user must reach the directories: not t.TempDir, whose
	// parents are private to root. A short path keeps the daemons' socket
	// paths under the 108-byte limit.
	root, err := os.MkdirTemp("", "pfx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	p := &Instance{Dir: filepath.Join(root, "etc"), t: t, root: root}
	for _, d := range []string{p.Dir, filepath.Join(root, "queue"), filepath.Join(root, "data")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	owner, err := user.Lookup("postfix")
	if err != nil {
		t.Fatalf("postfix is installed but its user is missing: %v", err)
	}
	uid, _ := strconv.Atoi(owner.Uid)
	if err := os.Chown(filepath.Join(root, "data"), uid, -1); err != nil {
		t.Fatalf("Postfix needs root to run its daemons as the postfix user: %v", err)
	}
	p.writeMainCF(nil) // postmap reads it too
	return p
}

// Map writes a lookup table into the configuration directory, runs postmap
// on it and returns its name for main.cf ("hash:DIR/name").
func (p *Instance) Map(name, content string) string {
	p.t.Helper()
	path := filepath.Join(p.Dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		p.t.Fatal(err)
	}
	postmap, _ := postfixBin("postmap")
	if out, err := exec.Command(postmap, "-c", p.Dir, path).CombinedOutput(); err != nil {
		p.t.Fatalf("postmap %s: %v\n%s", name, err, out)
	}
	return "hash:" + path
}

// Start writes the configuration and starts the instance, and stops it
// when the test ends.
func (p *Instance) Start(main map[string]string) {
	t := p.t
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.Addr = ln.Addr().String()
	ln.Close() // Postfix's master binds it next
	p.writeMainCF(main)
	if err := os.WriteFile(filepath.Join(p.Dir, "master.cf"), []byte(p.Addr+masterCF), 0o644); err != nil {
		t.Fatal(err)
	}
	bin, _ := postfixBin("postfix")
	if out, err := exec.Command(bin, "-c", p.Dir, "start").CombinedOutput(); err != nil {
		t.Fatalf("postfix start: %v\n%s\nlog:\n%s", err, out, p.Log())
	}
	t.Cleanup(func() {
		if out, err := exec.Command(bin, "-c", p.Dir, "stop").CombinedOutput(); err != nil {
			t.Errorf("postfix stop: %v\n%s", err, out)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", p.Addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("postfix does not listen on %s: %v\nlog:\n%s", p.Addr, err, p.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// writeMainCF writes the base settings with main added and overriding.
func (p *Instance) writeMainCF(main map[string]string) {
	p.t.Helper()
	settings := p.base()
	maps.Copy(settings, main)
	var cf strings.Builder
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		fmt.Fprintf(&cf, "%s = %s\n", k, settings[k])
	}
	if err := os.WriteFile(filepath.Join(p.Dir, "main.cf"), []byte(cf.String()), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

func (p *Instance) base() map[string]string {
	return map[string]string{
		"compatibility_level":       "3.6",
		"queue_directory":           filepath.Join(p.root, "queue"),
		"data_directory":            filepath.Join(p.root, "data"),
		"maillog_file":              filepath.Join(p.root, "maillog"),
		"maillog_file_prefixes":     p.root,
		"mail_owner":                "postfix",
		"setgid_group":              "postdrop",
		"inet_interfaces":           "127.0.0.1",
		"inet_protocols":            "ipv4",
		"myhostname":                "postfix.test",
		"mydomain":                  "postfix.test",
		"myorigin":                  "postfix.test",
		"mydestination":             "",
		"mynetworks":                "127.0.0.0/8",
		"alias_maps":                "",
		"alias_database":            "",
		"local_recipient_maps":      "",
		"local_transport":           "error:no local delivery in a test instance",
		"smtpd_peername_lookup":     "no",
		"smtp_dns_support_level":    "disabled",
		"smtp_tls_security_level":   "none",
		"smtpd_tls_security_level":  "none",
		"queue_run_delay":           "1s",
		"minimal_backoff_time":      "1s",
		"maximal_backoff_time":      "2s",
		"smtp_connect_timeout":      "5s",
		"address_verify_poll_delay": "1s",
		"biff":                      "no",
	}
}

// masterCF follows the listener's address: the services a relay needs,
// none in a chroot.
const masterCF = ` inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`

// Log returns what the instance logged so far.
func (p *Instance) Log() string {
	b, _ := os.ReadFile(filepath.Join(p.root, "maillog"))
	return string(b)
}
