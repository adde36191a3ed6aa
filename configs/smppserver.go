package configs

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
}

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
}
