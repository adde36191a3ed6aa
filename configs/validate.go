package configs

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/mail"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/smsbridge/smsbridge/internal/mailfmt"
)

// checker collects validation errors; paths name array entries by index so
// Parse can find their lines.
type checker struct {
	file string
	errs []error
}

func (c *checker) add(path, format string, args ...any) {
	c.errs = append(c.errs, &Error{File: c.file, Key: plainKey(path), Msg: fmt.Sprintf(format, args...), path: path})
}

func (c *checker) addErr(path string, err error, format string, args ...any) {
	c.add(path, format, args...)
	c.errs[len(c.errs)-1].(*Error).cause = err
}

func (c *checker) oneOf(path, v string, allowed ...string) {
	if !slices.Contains(allowed, v) {
		c.add(path, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
}

func (c *checker) atLeast(path string, v, lowest int64) {
	if v < lowest {
		c.add(path, "%d is less than %d", v, lowest)
	}
}

// atMost checks a string's length in bytes.
func (c *checker) atMost(path string, n, longest int) {
	if n > longest {
		c.add(path, "%d bytes long, at most %d allowed", n, longest)
	}
}

func (c *checker) positive(path string, d Duration) {
	if d.Duration <= 0 {
		c.add(path, "must be a positive duration such as \"30s\"")
	}
}

func (c *checker) notNegative(path string, d Duration) {
	if d.Duration < 0 {
		c.add(path, "must not be negative")
	}
}

// hostPort checks a listen or connect address: host:port, host may be empty.
func (c *checker) hostPort(path, v string) {
	host, port, err := net.SplitHostPort(v)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	if err != nil || strings.ContainsAny(host, " /@") {
		c.add(path, "%q is not host:port", v)
	}
}

func (c *checker) address(path, v string) {
	a, err := mail.ParseAddress(v)
	if err != nil || a.Name != "" || !strings.Contains(a.Address, "@") {
		c.add(path, "%q is not a plain mail address (user@domain)", v)
		return
	}
	if _, err := mailfmt.ParseUnquoted(a.Address); err != nil {
		c.add(path, "%q: %v", v, err)
	}
}

// Validate checks every value. It returns nil, or *Error values joined with
// errors.Join. Lines are filled in by Parse, which knows the source.
func (cfg *Config) Validate() error {
	c := &checker{file: cfg.File}
	cfg.validateSMTP(c)
	cfg.validateSMS(c)
	cfg.validateText(c)
	if cfg.Store.Path == "" {
		c.add("store.path", "must not be empty")
	}
	c.positive("store.retention", cfg.Store.Retention)
	cfg.validateBackend(c)
	cfg.validateTransports(c)
	cfg.validateRoutes(c)
	cfg.validateReceipts(c)
	cfg.validateInbound(c)
	cfg.validateAliases(c)
	cfg.validateHTTP(c)
	cfg.validateKannel(c)
	cfg.validateSMPPServer(c)
	cfg.validateIntegrationUsers(c)
	validateLimits(c, "limits", cfg.Limits)
	cfg.validatePriority(c)
	cfg.validateCampaigns(c)
	return errors.Join(c.errs...)
}

func (cfg *Config) validateSMTP(c *checker) {
	s := cfg.SMTP
	for _, l := range s.Listen {
		c.hostPort("smtp.listen", l)
	}
	for _, l := range s.ListenTLS {
		c.hostPort("smtp.listen_tls", l)
	}
	if len(s.ListenTLS) > 0 && s.TLSCert == "" {
		c.add("smtp.listen_tls", "needs tls_cert and tls_key")
	}
	if (s.TLSCert == "") != (s.TLSKey == "") {
		c.add("smtp.tls_cert", "tls_cert and tls_key go together")
	}
	if s.Hostname == "" || strings.ContainsAny(s.Hostname, " @/") {
		c.add("smtp.hostname", "%q is not a host name", s.Hostname)
	}
	if len(s.Domains) == 0 && !s.AcceptCarrierDomains {
		c.add("smtp.domains", "no recipient domain: list one, or set accept_carrier_domains")
	}
	for _, d := range s.Domains {
		if !isDomain(d) {
			c.add("smtp.domains", "%q is not a domain name", d)
		}
	}
	c.atLeast("smtp.max_message_bytes", s.MaxMessageBytes, 1)
	c.atLeast("smtp.max_recipients", int64(s.MaxRecipients), 1)
	c.atLeast("smtp.max_line_length", int64(s.MaxLineLength), 1000) // RFC 5321 4.5.3.1.6
	c.positive("smtp.read_timeout", s.ReadTimeout)
	c.positive("smtp.write_timeout", s.WriteTimeout)
	for _, n := range s.TrustedNetworks {
		if _, err := netip.ParsePrefix(n); err != nil {
			c.addErr("smtp.trusted_networks", err, "%q is not a network such as \"10.0.0.0/8\" or \"192.0.2.1/32\"", n)
		}
	}
	c.atLeast("smtp.max_connections_per_ip", int64(s.MaxConnectionsPerIP), 0)
	c.atLeast("smtp.max_in_flight", int64(s.MaxInFlight), 0)
	c.atLeast("smtp.max_inflight_per_client", int64(s.MaxInFlightPerClient), 0)
	c.positive("smtp.data_timeout", s.DataTimeout)
	c.atLeast("smtp.min_data_rate", s.MinDataRate, 0)
	c.notNegative("smtp.session_timeout", s.SessionTimeout)
	c.oneOf("smtp.sender_verification", s.SenderVerification, "off", "tag", "reject")
	validateUsers(c, s.Users, cfg.Aliases)
}

func isDomain(d string) bool {
	d = strings.TrimSuffix(d, ".")
	if d == "" || len(d) > 253 {
		return false
	}
	for label := range strings.SplitSeq(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if b := label[i]; !(b == '-' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z') {
				return false
			}
		}
	}
	return true
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
