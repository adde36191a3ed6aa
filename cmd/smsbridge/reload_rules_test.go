package main

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/configs"
)

// TestEveryKeyHasAReloadRule walks configs.Config: a key added without a
// rule for SIGHUP fails here, and so does a rule for a key that is gone.
func TestEveryKeyHasAReloadRule(t *testing.T) {
	t.Parallel()
	keys := configKeys(reflect.TypeFor[configs.Config](), "")
	if len(keys) < 50 {
		t.Fatalf("only %d keys found: %v", len(keys), keys)
	}
	for _, k := range keys {
		if _, ok := reloadRules[k]; !ok {
			t.Errorf("key %s has no reload rule: say in reloadRules whether SIGHUP puts it in force or it needs a restart", k)
		}
	}
	for k := range reloadRules {
		if !slices.Contains(keys, k) {
			t.Errorf("reload rule for %s, which is no configuration key", k)
		}
	}
}

// reloadBase has an entry in each array of tables, so that every key has a
// value to change.
const reloadBase = `
[smtp]
domains = ["sms.test"]
[[smtp.users]]
name = "alerts"
password_hash = "$2a$04$abcdefghijklmnopqrstuu5Wc7OFFfUtnLxhFE2F7GZrMz2bU7W3u"
[[transports]]
name = "sim"
type = "simulator"
[[transports]]
name = "smsc"
type = "smpp"
address = "127.0.0.1:2775"
[[transports]]
name = "gsm"
type = "modem"
device = "/dev/ttyUSB0"
[[routes]]
prefix = "+1"
transports = ["sim"]
[aliases]
team = ["+14155550100"]
[[priority.rules]]
user = "alerts"
class = "urgent"
[[priority.rules]]
sender = "ops@example.com"
max = "urgent"
[[priority.rules]]
alias = "team"
class = "bulk"
`

// reloadCluster and reloadNATS give the keys of the optional tables a
// value, one table at a time.
const (
	reloadCluster = "[store]\nbackend = \"nats\"\n[cluster]\nlisten = \"127.0.0.1:6222\"\nreplicas = 1\n"
	reloadNATS    = "[store]\nbackend = \"nats\"\n[nats]\nurls = [\"nats://127.0.0.1:4222\"]\n"
)

// changedValues are values to change a key to where its kind's default
// change (a suffix, +1) would not be valid.
var changedValues = map[string]any{
	"smtp.domains":                  []string{"other.test"},
	"smtp.trusted_networks":         []string{"10.0.0.0/8"},
	"smtp.sender_verification":      "tag",
	"smtp.users.allowed_senders":    []string{"ops@example.com"},
	"smtp.users.allowed_recipients": []string{"+1"},
	"sms.default_region":            "GB",
	"sms.encoding":                  "ucs2",
	"sms.split":                     "plain",
	"sms.on_too_long":               "reject",
	"sms.subject":                   "ignore",
	"sms.allowed_countries":         []string{"US"},
	"sms.cut_after":                 []string{"^--$"},
	"sms.unreadable":                "reject",
	"text.cut_after":                []string{"^--$"},
	"text.drop":                     []string{"^Sent from"},
	"text.urls":                     "drop",
	"text.emoji":                    "drop",
	"routes.prefix":                 "+44",
	"routes.transports":             []string{"smsc"},
	"receipts.mode":                 "all",
	"receipts.from":                 "reports@example.com",
	"inbound.default_to":            "ops@example.com",
	"aliases":                       map[string][]string{"team": {"+14155550199"}},
	"priority.rules.class":          "bulk",
	"priority.rules.max":            "normal",
	"campaigns.window":              "09:00-17:00",
	"campaigns.time_zone":           "Europe/Paris",
	"http.operators":                []string{"alerts"},
}

// TestReloadRules changes each key in turn: one that needs a restart is
// named by needsRestart; one that SIGHUP puts in force is not, and changes
// what apply hands to the running pieces.
func TestReloadRules(t *testing.T) {
	t.Parallel()
	load := func(key string) *configs.Config {
		src := reloadBase
		switch table, _, _ := strings.Cut(key, "."); table {
		case "cluster":
			src += reloadCluster
		case "nats":
			src += reloadNATS
		}
		c, err := configs.Parse([]byte(src), "reload.toml")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for key, rule := range reloadRules {
		old := load(key)
		oldInputs := reloadInputs(t, old)
		next := load(key)
		setKey(t, next, key)
		got := needsRestart(old, next)
		switch rule {
		case restart:
			if !slices.Equal(got, []string{key}) {
				t.Errorf("%s changed: needsRestart = %v, want [%s]", key, got, key)
			}
		case live:
			if len(got) > 0 {
				t.Errorf("%s changed: needsRestart = %v, want none (the key is applied live)", key, got)
			}
			if reflect.DeepEqual(reloadInputs(t, next), oldInputs) {
				t.Errorf("%s changed, yet apply hands the running pieces the same settings", key)
			}
		}
	}
}

// reloadInputs is what apply hands to the bridge, the policy, the SMTP
// server, the API, the console, sendsms and the SMPP server for cfg.
func reloadInputs(t *testing.T, cfg *configs.Config) []any {
	t.Helper()
	bcfg, err := bridge.ConfigFrom(cfg)
	if err != nil {
		t.Fatalf("bridge config: %v", err)
	}
	bcfg.Numbers = bcfg.Numbers.Cached() // a fresh, empty cache: compare the rules, not what was looked up
	pc, err := newPolicyConfig(cfg, quietLogger())
	if err != nil {
		t.Fatalf("policy config: %v", err)
	}
	var users []string
	for _, u := range cfg.SMTP.Users {
		users = append(users, u.Name, u.PasswordHash)
	}
	return []any{bcfg, pc.Users, pc.Limits, pc.Verification, users, trustedNetworks(cfg), cfg.HTTP.Tokens,
		cfg.HTTP.ReadOnlyTokens, consoleUsers(cfg), cfg.HTTP.Operators, newIntegrationUsers(cfg)}
}

// setKey changes key in cfg (in every entry of an array of tables).
func setKey(t *testing.T, cfg *configs.Config, key string) {
	t.Helper()
	n := 0
	walkKey(reflect.ValueOf(cfg).Elem(), strings.Split(key, "."), func(v reflect.Value) {
		n++
		if c, ok := changedValues[key]; ok {
			v.Set(reflect.ValueOf(c))
			return
		}
		switch {
		case v.Type() == reflect.TypeFor[configs.Duration]():
			v.Set(reflect.ValueOf(configs.Duration{Duration: v.Interface().(configs.Duration).Duration + time.Second}))
		case v.Kind() == reflect.String:
			v.SetString(v.String() + "x")
		case v.Kind() == reflect.Int || v.Kind() == reflect.Int64:
			v.SetInt(v.Int() + 1)
		case v.Kind() == reflect.Float64:
			v.SetFloat(v.Float() + 1)
		case v.Kind() == reflect.Bool:
			v.SetBool(!v.Bool())
		case v.Type() == reflect.TypeFor[[]string]():
			v.Set(reflect.ValueOf(append(slices.Clone(v.Interface().([]string)), "x")))
		default:
			t.Fatalf("%s: no way to change a %v; add it to changedValues", key, v.Type())
		}
	})
	if n == 0 {
		t.Fatalf("%s: not found in the configuration", key)
	}
}

func walkKey(v reflect.Value, path []string, set func(reflect.Value)) {
	if len(path) == 0 {
		set(v)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			walkKey(v.Elem(), path, set)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if tomlName(v.Type().Field(i)) == path[0] {
				walkKey(v.Field(i), path[1:], set)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			walkKey(v.Index(i), path, set)
		}
	}
}

// TestReloadTrustedNetworksReachSMTP: a running daemon takes a changed
// trusted_networks for SMTP too (a client no longer trusted gets 530 at
// MAIL), and logs a changed SMTP limit as needing a restart.
func TestReloadTrustedNetworksReachSMTP(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	smtpAddr := freePort(t)
	conf := strings.ReplaceAll(slowClientsConfig, "%SMTP%", smtpAddr)
	path := writeConfig(t, dir, conf)
	d := startDaemon(t, dir, smtpAddr, "-config", path)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	mail := func() string {
		t.Helper()
		s := dialSMTP(t, smtpAddr)
		s.cmd("EHLO client.test")
		return s.cmd("MAIL FROM:<ops@example.com>")
	}
	if r := mail(); !strings.HasPrefix(r, "250") {
		t.Fatalf("MAIL before the reload: %q", r)
	}
	next := strings.Replace(conf, "[smtp]\n", "[smtp]\ntrusted_networks = [\"10.0.0.0/8\"]\ndata_timeout = \"1m\"\n", 1)
	writeConfig(t, dir, next)
	d.cmd.Process.Signal(syscall.SIGHUP)
	if err := d.waitLog(ctx, "configuration reloaded"); err != nil {
		t.Fatal(err)
	}
	if r := mail(); !strings.HasPrefix(r, "530") {
		t.Errorf("MAIL from loopback after trusted_networks dropped it: %q, want 530", r)
	}
	if !strings.Contains(d.log.String(), "key=smtp.data_timeout") {
		t.Errorf("the changed data_timeout was not logged as needing a restart:\n%s", d.log.String())
	}
}
