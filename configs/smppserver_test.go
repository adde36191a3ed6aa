package configs

import (
	"strings"
	"testing"
	"time"
)

func TestIntegrationKeys(t *testing.T) {
	t.Parallel()
	const user = "[[smtp.users]]\nname = \"%s\"\npassword_hash = \"$2a$10$wdG7KDTdQKUwH2KGXk56kucs4XtmVyVnd.kwZ8swzO/3zwH/OmvEu\"\n"
	u := func(name string) string { return strings.Replace(user, "%s", name, 1) }
	tests := []struct{ toml, want string }{
		{u("a") + "sms_senders = [\"ACME\", \"+447900000001\", \"12345\"]\ndefault_sms_sender = \"ACME\"\nsmpp_numbers = [\"+4479\", \"12345\"]", ""},
		{u("a") + "sms_senders = [\"TooLongSenderID\"]", `x.toml:4: smtp.users.sms_senders: "TooLongSenderID" is no SMS sender`},
		{u("a") + "sms_senders = [\"+44x\"]", `"+44x" is no SMS sender`},
		{u("a") + "default_sms_sender = \"caf\u00e9\"", "smtp.users.default_sms_sender:"},
		{u("a") + "smpp_numbers = [\"+44 79\"]", `smtp.users.smpp_numbers: "+44 79" is no number or prefix`},
		{u("a") + "smpp_numbers = [\"+4479\"]\n" + u("b") + "smpp_numbers = [\"+4479\"]", `"+4479" is a's already`},
		{"[smpp_server]\nwindow = 0", "smpp_server.window: 0 is less than 1"},
		{"[smpp_server]\nsegment_ttl = \"0s\"", "smpp_server.segment_ttl"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.toml+"\n[[transports]]\nname = \"s\"\ntype = \"simulator\"\n"), "x.toml")
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q: %v", tt.toml, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%q:\n got %v\nwant %s", tt.toml, err, tt.want)
		}
	}
	d := Default()
	if d.SMPPServer.Window != 10 || d.SMPPServer.SegmentTTL.Duration != 10*time.Minute {
		t.Errorf("[smpp_server] defaults: %+v", d.SMPPServer)
	}
}
