package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/cluster"
	"github.com/smsbridge/smsbridge/configs"
)

const masked = "********"

// checkCmd validates the configuration as serve would (without opening
// anything) and prints it with every default filled in, secrets masked,
// and the routing table.
func checkCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check", "[-config FILE]", stderr)
	configPath := fs.String("config", "", "configuration `file` (default: the embedded default)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("check takes no arguments")}
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	bcfg, err := checkServable(cfg)
	if err != nil {
		return usageError{err}
	}
	name := cfg.File
	if name == "" {
		name = "the embedded default"
	}
	fmt.Fprintf(stdout, "# %s is valid. Effective configuration (defaults filled in, secrets masked):\n", name)
	for _, w := range cfg.Warnings() {
		fmt.Fprintf(stdout, "# warning: %s\n", w)
	}
	fmt.Fprintln(stdout)
	enc := toml.NewEncoder(stdout)
	enc.Indent = ""
	if err := enc.Encode(maskSecrets(cfg)); err != nil {
		return fmt.Errorf("printing the configuration: %w", err)
	}
	printRoutes(stdout, cfg, bcfg)
	return nil
}

// checkServable builds, without opening listeners, the store or links,
// every piece runGateway builds from cfg, so that check fails where serve
// would: the bridge's rules, the SMTP policy, the TLS certificate and key
// (loaded), the transports, the cluster's TLS and credentials files.
func checkServable(cfg *configs.Config) (bridge.Config, error) {
	log := quietLogger()
	bcfg, err := bridge.ConfigFrom(cfg)
	if err != nil {
		return bcfg, err
	}
	if _, _, err := smtpConfig(cfg, log, nil); err != nil { // no store: no counters
		return bcfg, err
	}
	if _, _, err := serverTLS(cfg, log); err != nil {
		return bcfg, err
	}
	if _, err := buildLanes(cfg, log, nil, nil); err != nil {
		return bcfg, err
	}
	if err := cluster.Check(cfg); err != nil {
		return bcfg, err
	}
	return bcfg, nil
}

// maskSecrets returns a copy of cfg without passwords, PINs and tokens.
func maskSecrets(cfg *configs.Config) *configs.Config {
	c := *cfg
	c.Transports = append([]configs.Transport(nil), cfg.Transports...)
	for i := range c.Transports {
		maskString(&c.Transports[i].Password)
		maskString(&c.Transports[i].PIN)
	}
	c.SMTP.Users = append([]configs.User(nil), cfg.SMTP.Users...)
	for i := range c.SMTP.Users {
		maskString(&c.SMTP.Users[i].PasswordHash)
	}
	maskString(&c.Receipts.SmarthostPassword)
	c.HTTP.Tokens = make([]string, len(cfg.HTTP.Tokens))
	for i := range c.HTTP.Tokens {
		c.HTTP.Tokens[i] = masked
	}
	return &c
}

func maskString(s *string) {
	if *s != "" {
		*s = masked
	}
}

func printRoutes(w io.Writer, cfg *configs.Config, bcfg bridge.Config) {
	fmt.Fprintln(w, "\n# Routes: the first matching prefix wins; transports in order of preference.")
	if len(bcfg.Routes) == 0 {
		var names []string
		for _, t := range cfg.Transports {
			names = append(names, t.Name)
		}
		fmt.Fprintf(w, "#   (no routes) every number -> %s\n", strings.Join(names, ", "))
		return
	}
	for _, r := range bcfg.Routes {
		line := fmt.Sprintf("#   %-8s -> %s", r.Prefix, strings.Join(r.Transports, ", "))
		if r.Source != "" {
			line += "  (source " + r.Source + ")"
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w, "#   numbers matching no prefix fail: \"no route for this number\"")
}
