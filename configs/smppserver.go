package configs

import "strings"

// SMPPServer lets ESMEs bind to smsbridge over SMPP. Its accounts are the
// [[smtp.users]]: system_id is the name, password the password (SMPP
// carries at most 8 characters of it).
type SMPPServer struct {
	Listen string `toml:"listen"` // e.g. "127.0.0.1:2775"; "" serves nothing
	// Rate bounds each system_id's submit_sm a second; 0: no bound. Over
	// it, submit_sm is answered ESME_RTHROTTLED.
	Rate float64 `toml:"rate"`
	// TLS makes listen speak TLS from the first byte, with [smtp]
	// tls_cert and tls_key.
	TLS bool `toml:"tls"`
	// Window is how many submit_sm a bind may have unanswered at once; one
	// more is answered ESME_RTHROTTLED.
	Window int `toml:"window"`
	// SegmentTTL is how long the segments of a concatenated submit_sm may
	// take to come; then the segments stored get EXPIRED receipts.
	SegmentTTL Duration `toml:"segment_ttl"`
}

// The [[smtp.users]] keys of integrations (sendsms and ESMEs):
//   - sms_senders: the SMS sources (alphanumeric up to 11 characters, a
//     short code or a number) the user may give as sendsms from or
//     submit_sm source_addr; a user without them cannot choose (from is
//     ignored, as with Kannel's faked-sender);
//   - default_sms_sender: the source when the request gives none; "" the
//     route's or transport's;
//   - smpp_numbers: numbers or number prefixes ("+4479", short codes)
//     whose SMS from phones go to this user's ESME binds (receiver or
//     transceiver) as deliver_sm instead of mail.

func (cfg *Config) validateSMPPServer(c *checker) {
	if cfg.SMPPServer.Listen != "" {
		c.hostPort("smpp_server.listen", cfg.SMPPServer.Listen)
		if len(cfg.SMTP.Users) == 0 {
			c.add("smpp_server.listen", "needs [[smtp.users]]: binds are checked against them")
		}
	}
	if cfg.SMPPServer.TLS && cfg.SMTP.TLSCert == "" {
		c.add("smpp_server.tls", "needs [smtp] tls_cert and tls_key")
	}
	if cfg.SMPPServer.Rate < 0 {
		c.add("smpp_server.rate", "must not be negative")
	}
	c.atLeast("smpp_server.window", int64(cfg.SMPPServer.Window), 1)
	c.positive("smpp_server.segment_ttl", cfg.SMPPServer.SegmentTTL)
}

func (cfg *Config) validateIntegrationUsers(c *checker) {
	owner := map[string]string{}
	for i, u := range cfg.SMTP.Users {
		p := indexPath("smtp.users", i)
		for _, s := range u.SMSSenders {
			if !ValidSMSSender(s) {
				c.add(p+".sms_senders", "%q is no SMS sender: up to 11 letters and digits, or a number", s)
			}
		}
		if u.DefaultSMSSender != "" && !ValidSMSSender(u.DefaultSMSSender) {
			c.add(p+".default_sms_sender", "%q is no SMS sender: up to 11 letters and digits, or a number", u.DefaultSMSSender)
		}
		for _, n := range u.SMPPNumbers {
			digits := strings.TrimPrefix(n, "+")
			switch {
			case digits == "" || len(digits) > 20 || strings.Trim(digits, "0123456789") != "":
				c.add(p+".smpp_numbers", "%q is no number or prefix such as \"+4479\" or \"12345\"", n)
			case owner[n] != "" && owner[n] != u.Name:
				c.add(p+".smpp_numbers", "%q is %s's already", n, owner[n])
			}
			owner[n] = u.Name
		}
	}
}

// ValidSMSSender reports whether s can be an SMS source address: "+" and
// up to 20 digits, up to 20 digits, or up to 11 printable ASCII
// characters that are not all digits.
func ValidSMSSender(s string) bool {
	digits := strings.TrimPrefix(s, "+")
	if digits != "" && strings.Trim(digits, "0123456789") == "" {
		return len(digits) <= 20
	}
	if s == "" || len(s) > 11 || strings.HasPrefix(s, "+") {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return false
		}
	}
	return true
}
