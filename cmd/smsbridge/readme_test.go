package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readmeNotRun are the README's commands this test does not run, and why.
var readmeNotRun = map[string]string{
	"scripts/test":                "the test suite, this test included; installs packages as root",
	"scripts/fuzz [BUDGET]":       "the fuzz targets, run by CI on their own",
	"go vet":                      "run by scripts/test, as this test is",
	"go test -race ./...":         "run by scripts/test, as this test is",
	"apt-get":                     "installs packages as root (scripts/test does it)",
	"apt-get install swaks":       "installs a package as root (scripts/test does it)",
	"docker build -t smsbridge .": "needs docker",
	"docker run -v smsbridge-data:/data -v $PWD/smsbridge.toml:/etc/smsbridge/smsbridge.toml:ro -p 2525:2525 -p 8025:8025 smsbridge":                                                                 "needs docker",
	"systemctl daemon-reload && systemctl enable --now smsbridge":                                                                                                                                    "needs systemd as the machine's init, and root",
	"curl -s 'http://127.0.0.1:13013/cgi-bin/sendsms?username=alerts&password=PW&to=%2B14155550100+%2B14155550101&text=db-1+down&dlr-mask=31&dlr-url=http%3A%2F%2Fapp%2Fdlr%3Fs%3D%25d%26to%3D%25p'": "needs [kannel] listen and a user: TestKannelSendsmsThroughTheGateway sends such a request",
	"systemctl reload smsbridge":                                "needs systemd as the machine's init, and root",
	"postmap /etc/postfix/transport":                            "writes the machine's Postfix configuration, as root",
	"smsbridge store salvage NEW_FILE":                          "needs a damaged queue file: TestDamagedQueueFile runs it on one",
	"smsbridge queue retry ID":                                  "needs a failed message: TestQueueRetryFailed runs it on one",
	"go test ./console -run TestScreenshots -args -screenshots": "rewrites docs/console/*.png in a browser (console's own tests)",
	"smsbridge store copy -from bbolt:/var/lib/smsbridge/smsbridge.db -to nats:nats://127.0.0.1:4222": "needs a cluster running: TestStoreCopyNATS copies to and from a NATS server",
}

// readmeServe starts the gateway; the test runs it as a process first.
var readmeServe = regexp.MustCompile(`^(go run \./cmd/smsbridge|smsbridge) serve\b`)

// readmeWant is what each command that is run must print; a command of a
// code block with no entry here fails the test, so that a new one is
// checked too. retry: the command is run again until it prints want (the
// receipt comes 200 ms after the SMS).
var readmeWant = []struct {
	prefix string
	want   *regexp.Regexp
	retry  bool
}{
	{"swaks --server 127.0.0.1:2525", regexp.MustCompile(`250 2\.0\.0 Ok: queued as`), false},
	{"cat smsbridge-data/mail/new/*", regexp.MustCompile(`Subject: Delivered: Disk alert[\s\S]*Delivered to \+1 415-123-4567`), true},
	{"go run ./cmd/smsbridge preview docs/tour/message.eml", regexp.MustCompile(`encoding: gsm7\nsegments: 1\n--- part 1/1 ---\nDisk alert\ndb-1: /var is 97% full`), false},
	{"go run ./cmd/smsbridge preview -json", regexp.MustCompile(`^\{"text":"Disk alert\\ndb-1: [^}]*"segments":1,"truncated":false\}`), false},
	{`curl -s -d '{"to":["4151234567","oncall"]`, regexp.MustCompile(`"number": "\+14151234569"`), false},
	{"curl -s http://127.0.0.1:8025/api/v1/messages/ID", regexp.MustCompile(`"state": "delivered"`), true},
	{"curl -s 'http://127.0.0.1:8025/api/v1/messages?state=failed", regexp.MustCompile(`"messages": \[\]`), false},
	// The tour's message is delivered by now: nothing is left to cancel
	// or to send again, and the answers say so.
	{"curl -s -X DELETE http://127.0.0.1:8025/api/v1/messages/ID", regexp.MustCompile(`"code": "not_cancellable"`), false},
	{"curl -s -X POST http://127.0.0.1:8025/api/v1/messages/ID/retry", regexp.MustCompile(`"code": "(nothing_queued|not_retryable)"`), false},
	{"curl -s http://127.0.0.1:8025/api/v1/transports", regexp.MustCompile(`"name": "simulator",\s*"up": true`), false},
	{`curl -s -d '{"to":["oncall","4151234567"],"text":"spring sale"`, regexp.MustCompile(`"rate": 5`), false},
	{"curl -s http://127.0.0.1:8025/api/v1/campaigns", regexp.MustCompile(`"campaigns": \[\s*\{`), false},
}

// TestREADMECommands runs every command in README.md's sh code blocks as
// written, in order, against a real `smsbridge serve` on its embedded
// default, in a directory that looks like a checkout (the repository's
// top-level entries linked in). `go run ./cmd/smsbridge` is this package
// built once, and ID the id the POST answered. Commands named in the prose
// must be run here or be listed in readmeNotRun with the reason.
func TestREADMECommands(t *testing.T) {
	needTool(t, "swaks")
	needTool(t, "curl")
	const smtpAddr = "127.0.0.1:2525"
	for _, addr := range []string{smtpAddr, "127.0.0.1:8025"} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Skipf("something already listens on %s; the README's commands need that port", addr)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	cmds := readmeBlockCommands(string(readme))
	ran := map[string]bool{}
	for _, c := range cmds {
		ran[c] = true
	}
	for _, c := range readmeProseCommands(string(readme)) {
		if _, skip := readmeNotRun[c]; !skip && !ran[c] && !readmeServe.MatchString(c) {
			t.Errorf("README names %q, which is neither run here nor listed in readmeNotRun", c)
		}
	}

	dir := checkoutLike(t)
	bin := smsbridgeBinary(t)
	var d *daemon
	id := ""
	for _, c := range cmds {
		if why, skip := readmeNotRun[c]; skip {
			t.Logf("not run: %s (%s)", c, why)
			continue
		}
		if readmeServe.MatchString(c) {
			if d == nil {
				d = startDaemon(t, dir, smtpAddr)
			}
			continue
		}
		if d == nil {
			t.Fatalf("%q comes before the README starts the gateway", c)
		}
		want, retry, ok := readmeExpect(c)
		if !ok {
			t.Errorf("no readmeWant entry for %q", c)
			continue
		}
		line := strings.ReplaceAll(c, "go run ./cmd/smsbridge", bin)
		if strings.Contains(line, "/ID") {
			if id == "" {
				t.Fatalf("%q needs a message id, and no POST answered one", c)
			}
			line = strings.ReplaceAll(line, "/ID", "/"+id)
		}
		out := runReadmeCommand(t, dir, line, want, retry)
		if strings.HasPrefix(c, "curl -s -d ") {
			var m struct{ ID string }
			if err := json.Unmarshal([]byte(out), &m); err != nil || m.ID == "" {
				t.Fatalf("the POST answered no id: %v\n%s", err, out)
			}
			id = m.ID
		}
	}
	if d == nil {
		t.Fatal("the README never starts the gateway")
	}
	if code := d.stop(30 * time.Second); code != 0 {
		t.Errorf("exit status %d after SIGTERM", code)
	}
}

func readmeExpect(cmd string) (*regexp.Regexp, bool, bool) {
	for _, w := range readmeWant {
		if strings.HasPrefix(cmd, w.prefix) {
			return w.want, w.retry, true
		}
	}
	return nil, false, false
}

// runReadmeCommand runs line with sh in dir: it must exit 0 and print
// what want matches, within 10 seconds when retry allows running it again.
func runReadmeCommand(t *testing.T, dir, line string, want *regexp.Regexp, retry bool) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, "sh", "-c", line)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		cancel()
		switch {
		case err == nil && want.Match(out):
			t.Logf("ran: %s", line)
			return string(out)
		case !retry || time.Now().After(deadline):
			t.Fatalf("%s: %v; output does not match %q:\n%s", line, err, want, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// readmeComment is a comment after a command, set off by spaces as the
// README writes them.
var readmeComment = regexp.MustCompile(`\s{2,}# .*$`)

// readmeBlockCommands returns the commands of the sh code blocks, a line
// continued with a backslash joined with the next, without comments.
func readmeBlockCommands(readme string) []string {
	var cmds []string
	in, cont := false, ""
	for _, l := range strings.Split(readme, "\n") {
		switch {
		case strings.HasPrefix(l, "```sh"):
			in = true
			continue
		case strings.HasPrefix(l, "```"):
			in = false
			continue
		case !in || strings.TrimSpace(l) == "":
			continue
		}
		if s, ok := strings.CutSuffix(l, "\\"); ok {
			cont += s
			continue
		}
		cmds = append(cmds, readmeComment.ReplaceAllString(strings.TrimSpace(cont+l), ""))
		cont = ""
	}
	return cmds
}

// readmeProse finds commands in the README's inline code: spans that
// start with a program the README tells the reader to run.
var readmeProse = regexp.MustCompile("`((?:go|smsbridge|swaks|curl|systemctl|docker|postmap|apt-get|scripts/[a-z]+)(?: [^`]*)?)`")

func readmeProseCommands(readme string) []string {
	var out []string
	for _, m := range readmeProse.FindAllStringSubmatch(readme, -1) {
		out = append(out, m[1])
	}
	return out
}

// checkoutLike makes a directory whose top-level entries are links to the
// repository's, so that the README's relative paths resolve while what
// the gateway writes (smsbridge-data) stays out of the real tree.
func checkoutLike(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, e := range entries {
		if e.Name() == "smsbridge-data" || e.Name() == ".git" {
			continue
		}
		if err := os.Symlink(filepath.Join(root, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
