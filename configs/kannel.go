package configs

// Kannel is the Kannel-compatible sendsms endpoint. Its accounts are the
// [[smtp.users]] (name and password_hash; allowed_recipients applies).
type Kannel struct {
	// Listen is where /cgi-bin/sendsms is served (Kannel's smsbox uses
	// port 13013); "" serves nothing.
	Listen string `toml:"listen"`
	// DLRRetryFor is how long a dlr-url that fails is called again before
	// the report is given up; 0 means 48h.
	DLRRetryFor Duration `toml:"dlr_retry_for"`
}

func (cfg *Config) validateKannel(c *checker) {
	if cfg.Kannel.Listen != "" {
		c.hostPort("kannel.listen", cfg.Kannel.Listen)
		if len(cfg.SMTP.Users) == 0 {
			c.add("kannel.listen", "needs [[smtp.users]]: sendsms requests are checked against them")
		}
	}
	c.notNegative("kannel.dlr_retry_for", cfg.Kannel.DLRRetryFor)
}
