package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/metrics"
	"github.com/smsbridge/smsbridge/store"
)

const opsConfig = `
[smtp]
listen = ["127.0.0.1:0"]
domains = ["sms.test"]
[store]
path = "%DIR%/q.db"
[[transports]]
name = "sim"
type = "simulator"
delivery_delay = "10ms"
[receipts]
maildir = "%DIR%/mail"
[http]
listen = "%LISTEN%"
tokens = ["t0k"]
`

func opsConfigFile(t *testing.T, dir, listen string) string {
	t.Helper()
	return writeConfig(t, dir, strings.ReplaceAll(opsConfig, "%LISTEN%", listen))
}

// runCmd runs one command function and returns its output and exit status.
func runCmd(t *testing.T, fn func([]string, *bytes.Buffer, *bytes.Buffer) error, args ...string) (string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := exitCode(fn(args, &stdout, &stderr), &stderr)
	t.Logf("%v -> %d\n%s%s", args, code, stdout.String(), stderr.String())
	return stdout.String() + stderr.String(), code
}

func send(args []string, o, e *bytes.Buffer) error {
	return sendCmd(args, strings.NewReader(""), o, e)
}
func queue(args []string, o, e *bytes.Buffer) error { return queueCmd(args, o, e) }
func check(args []string, o, e *bytes.Buffer) error { return checkCmd(args, o, e) }

var queuedID = regexp.MustCompile(`queued as (\S+)`)

func TestSendAndQueueWithoutDaemon(t *testing.T) {
	t.Parallel()
	cfg := opsConfigFile(t, t.TempDir(), "")
	out, code := runCmd(t, send, "-config", cfg, "-priority", "urgent", "-to", "4151234567,(415) 123-4568", "disk", "full")
	m := queuedID.FindStringSubmatch(out)
	if code != 0 || m == nil || !strings.Contains(out, "smsbridge serve sends it") {
		t.Fatalf("send: %d %q", code, out)
	}
	id := m[1]
	if out, code := runCmd(t, queue, "-config", cfg, "list", "-state", "queued"); code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "queued:2") {
		t.Errorf("list: %d %q", code, out)
	}
	if out, code := runCmd(t, queue, "-config", cfg, "list", "-to", "+14155550000"); code != 0 || strings.Contains(out, id) {
		t.Errorf("list to another number: %d %q", code, out)
	}
	if out, code := runCmd(t, queue, "-config", cfg, "show", id); code != 0 || !strings.Contains(out, "to +14151234568") || !strings.Contains(out, "part 1/1  queued") || !strings.Contains(out, "class:    urgent\n") {
		t.Errorf("show: %d %q", code, out)
	}
	if out, code := runCmd(t, queue, "-config", cfg, "retry", id); code != 0 || !strings.Contains(out, "2 parts due now") {
		t.Errorf("retry: %d %q", code, out)
	}
	if out, code := runCmd(t, queue, "-config", cfg, "-json", "cancel", id); code != 0 || !strings.Contains(out, `"cancelled": 2`) {
		t.Errorf("cancel: %d %q", code, out)
	}
	for _, args := range [][]string{{"cancel", id}, {"retry", id}, {"show", "0000000000000000"}, {"list", "-state", "sent"}, {"show"}, {"frob", "x"}} {
		if out, code := runCmd(t, queue, append([]string{"-config", cfg}, args...)...); code != exitUsage {
			t.Errorf("%v: %d %q", args, code, out)
		}
	}
}

func TestSendRefusals(t *testing.T) {
	t.Parallel()
	cfg := opsConfigFile(t, t.TempDir(), "")
	for _, args := range [][]string{
		{"-config", cfg, "hello"},
		{"-config", cfg, "-to", "4151234567"},
		{"-config", cfg, "-to", "not-a-number", "hello"},
		{"-config", filepath.Join(t.TempDir(), "missing.toml"), "-to", "4151234567", "hello"},
	} {
		if out, code := runCmd(t, send, args...); code != exitUsage {
			t.Errorf("%v: %d %q", args, code, out)
		}
	}
}

func TestUsageMatchesSynopsis(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fn   func([]string, *bytes.Buffer, *bytes.Buffer) error
		want string
	}{
		{send, "usage: smsbridge send " + sendSynopsis},
		{queue, "usage: smsbridge queue " + queueSynopsis},
		{check, "usage: smsbridge check [-config FILE]"},
	} {
		if out, code := runCmd(t, tc.fn, "-h"); code != 0 || !strings.Contains(out, tc.want) {
			t.Errorf("-h: %d %q, want %q", code, out, tc.want)
		}
	}
}

func TestCheckPrintsConfigAndRoutes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, `
[smtp]
domains = ["sms.test"]
[[transports]]
name = "smsc"
type = "smpp"
address = "127.0.0.1:2775"
system_id = "user"
password = "hunter2"
[[transports]]
name = "sim"
type = "simulator"
[[routes]]
prefix = "+1"
transports = ["smsc", "sim"]
source = "ALERTS"
[http]
tokens = ["t0k3n-value"]
`)
	out, code := runCmd(t, check, "-config", cfg)
	if code != 0 {
		t.Fatalf("check: %d", code)
	}
	for _, want := range []string{"is valid", `password = "********"`, "+1       -> smsc, sim  (source ALERTS)", "no route for this number", `default_region = "US"`} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q", want)
		}
	}
	for _, secret := range []string{"hunter2", "t0k3n-value"} {
		if strings.Contains(out, secret) {
			t.Errorf("check printed the secret %q", secret)
		}
	}
	var parsed map[string]any
	if _, err := toml.Decode(out, &parsed); err != nil {
		t.Errorf("the printed configuration is not TOML: %v", err)
	}
	bad := writeConfig(t, t.TempDir(), "[sms]\nencoding = \"klingon\"\n")
	if out, code := runCmd(t, check, "-config", bad); code != exitUsage || !strings.Contains(out, "smsbridge.toml:2") {
		t.Errorf("bad config: %d %q", code, out)
	}
}

// runDaemon runs a gateway with its HTTP server in-process, holding the
// store as `smsbridge serve` would, and returns a configuration file that
// points the tools at its API.
func runDaemon(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg, err := configs.Load(opsConfigFile(t, dir, "127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	log := testLogger(t)
	bcfg, err := bridge.ConfigFrom(cfg)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(cfg.Store.Path, store.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	lanes, err := buildLanes(cfg, log, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	gw, err := bridge.New(bcfg, bridge.Options{Store: st, Lanes: lanes, Mailer: buildMailer(cfg), Logger: log, Observer: m})
	if err != nil {
		t.Fatal(err)
	}
	m.Attach(metrics.Sources{Transports: gw.Transports, Queue: st, Route: gw.RouteOf})
	ctx, cancel := context.WithCancel(context.Background())
	gwDone := make(chan struct{})
	go func() { gw.Run(ctx, 5*time.Second); close(gwDone) }()
	svc, err := startHTTP(ctx, cfg, gw, st, nil, m, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-svc.Done; err != nil {
			t.Errorf("HTTP server: %v", err)
		}
		<-gwDone
		st.Close()
	})
	return opsConfigFile(t, dir, svc.Addr.String())
}

func TestToolsTalkToTheRunningDaemon(t *testing.T) {
	t.Parallel()
	cfg := runDaemon(t)
	out, code := runCmd(t, send, "-config", cfg, "-to", "4151234567", "hello from the CLI")
	m := queuedID.FindStringSubmatch(out)
	if code != 0 || m == nil || !strings.Contains(out, "by the running smsbridge") {
		t.Fatalf("send: %d %q", code, out)
	}
	id := m[1]
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, code := runCmd(t, queue, "-config", cfg, "show", id)
		if code == 0 && strings.Contains(out, "receipt DELIVRD") && strings.Contains(out, "via sim") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never delivered: %d %q", code, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if out, code := runCmd(t, queue, "-config", cfg, "list", "-state", "delivered", "-since", "1h"); code != 0 || !strings.Contains(out, id) {
		t.Errorf("list: %d %q", code, out)
	}
	if out, code := runCmd(t, queue, "-config", cfg, "cancel", id); code != exitUsage || !strings.Contains(out, "not_cancellable") {
		t.Errorf("cancel of a delivered message: %d %q", code, out)
	}
	if out, code := runCmd(t, send, "-config", cfg, "-to", "bogus", "x"); code != exitUsage || !strings.Contains(out, "bad_recipient") {
		t.Errorf("send to a bad number: %d %q", code, out)
	}
}

func TestDaemonWithoutAPI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfgPath := opsConfigFile(t, dir, "")
	cfg, err := configs.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(cfg.Store.Path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out, code := runCmd(t, queue, "-config", cfgPath, "list")
	if code != exitFailure || !strings.Contains(out, "HTTP API is off") {
		t.Errorf("queue with the store held and no API: %d %q", code, out)
	}
	if _, err := openStoreOrDaemon(cfg); !errors.Is(err, errDaemonHolds) {
		t.Errorf("lock not detected: %v", err)
	}
}
