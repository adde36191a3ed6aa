package configs

import (
	"strings"
	"testing"
)

func TestSecurityKeys(t *testing.T) {
	t.Parallel()
	c, err := Load("smpp.toml")
	if err != nil {
		t.Fatal(err)
	}
	u := c.SMTP.Users[0]
	if c.SMTP.MaxConnectionsPerIP != 20 || c.SMTP.MaxInFlight != 32 || c.SMTP.SenderVerification != "tag" ||
		len(u.AllowedSenders) != 2 || len(u.AllowedRecipients) != 2 || u.PartsPerDay != 5000 ||
		c.Limits.MailsPerMinute != 60 || c.SMS.AllowPremium || c.SMS.LogText {
		t.Fatalf("security keys of smpp.toml: %+v %+v %+v", c.SMTP, u, c.Limits)
	}
	c.SMS.AllowPremium = true
	if !c.NumberPolicy().AllowPremium {
		t.Error("NumberPolicy ignores allow_premium")
	}
	d := Default()
	if d.SMTP.MaxConnectionsPerIP == 0 || d.SMTP.MaxInFlight == 0 || d.Limits.PartsPerDay == 0 || d.SMTP.SenderVerification != "off" {
		t.Errorf("defaults are not safe: %+v %+v", d.SMTP, d.Limits)
	}
}

func TestSecurityKeyErrors(t *testing.T) {
	t.Parallel()
	const hash = "$2a$10$wdG7KDTdQKUwH2KGXk56kucs4XtmVyVnd.kwZ8swzO/3zwH/OmvEu"
	tests := []struct{ toml, want string }{
		{"[smtp]\nsender_verification = \"strict\"", `x.toml:2: smtp.sender_verification: "strict" is not one of off, tag, reject`},
		{"[smtp]\nmax_connections_per_ip = -1", "x.toml:2: smtp.max_connections_per_ip: -1 is less than 0"},
		{"[limits]\nparts_per_day = -5", "x.toml:2: limits.parts_per_day: -5 is less than 0"},
		{"[[smtp.users]]\nname = \"a\"\npassword_hash = \"" + hash + "\"\nallowed_senders = [\"@bad domain\"]", `x.toml:4: smtp.users.allowed_senders: "@bad domain" is not "@" and a domain name`},
		{"[[smtp.users]]\nname = \"a\"\npassword_hash = \"" + hash + "\"\nallowed_senders = [\"Bob <b@x.y>\"]", "smtp.users.allowed_senders: \"Bob <b@x.y>\" is not a plain mail address"},
		{"[[smtp.users]]\nname = \"a\"\npassword_hash = \"" + hash + "\"\nallowed_recipients = [\"nobody\"]", `x.toml:4: smtp.users.allowed_recipients: "nobody" is neither a number prefix`},
		{"[[smtp.users]]\nname = \"a\"\npassword_hash = \"" + hash + "\"\nallowed_recipients = [\"+1a\"]", `"+1a" is not a number prefix`},
		{"[[smtp.users]]\nname = \"a\"\npassword_hash = \"" + hash + "\"\nparts_per_day = -1", "smtp.users.parts_per_day: -1 is less than 0"},
		{"[[smtp.users]]\nname = \"a\"\npassword_hash = \"nope\"", "make one with `smsbridge passwd`"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.toml+"\n[[transports]]\nname = \"s\"\ntype = \"simulator\"\n"), "x.toml")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q:\n got %v\nwant %s", tt.toml, err, tt.want)
		}
	}
}
