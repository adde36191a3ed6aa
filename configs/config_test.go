package configs

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// sim is the smallest valid transport; cases put it first.
const sim = "[[transports]]\nname = \"sim\"\ntype = \"simulator\"\n"

// markedLine is the line of src holding "# <-", 0 if none.
func markedLine(src string) int {
	for i, l := range strings.Split(src, "\n") {
		if strings.Contains(l, "# <-") {
			return i + 1
		}
	}
	return 0
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string // sim is prepended unless bare
		bare bool
		key  string // expected in the message
	}{
		{"wrong type", "[smtp]\nmax_recipients = \"many\" # <-", false, "smtp.max_recipients"},
		{"kannel listen not host:port", "[kannel]\nlisten = \"13013\" # <-", false, "kannel.listen"},
		{"kannel without users", "[kannel]\nlisten = \"127.0.0.1:13013\" # <-", false, "kannel.listen"},
		{"kannel negative retry", "[kannel]\ndlr_retry_for = \"-1h\" # <-", false, "kannel.dlr_retry_for"},
		{"smpp_server without users", "[smpp_server]\nlisten = \"127.0.0.1:2775\" # <-", false, "smpp_server.listen"},
		{"smpp_server tls without a certificate", "[smpp_server]\ntls = true # <-", false, "smpp_server.tls"},
		{"smpp_server negative rate", "[smpp_server]\nrate = -1 # <-", false, "smpp_server.rate"},
		{"bad duration", "[sms]\nvalidity = \"forever\" # <-", false, "sms.validity"},
		{"bad encoding", "[sms]\nencoding = \"utf9\" # <-", false, "sms.encoding"},
		{"bad split", "[sms]\nsplit = \"chunks\" # <-", false, "sms.split"},
		{"bad on_too_long", "[sms]\non_too_long = \"drop\" # <-", false, "sms.on_too_long"},
		{"bad CIDR", "[smtp]\ntrusted_networks = [\"10.0.0.0/8\", \"10.0.0.0/33\"] # <-", false, "smtp.trusted_networks"},
		{"bare IP is not a network", "[smtp]\ntrusted_networks = [\"10.0.0.1\"] # <-", false, "smtp.trusted_networks"},
		{"bad regexp", "[sms]\ncut_after = [\"(unclosed\"] # <-", false, "sms.cut_after"},
		{"route to unknown transport", "[[routes]]\nprefix = \"+1\"\ntransports = [\"nope\"] # <-", false, "routes.transports"},
		{"route without transports", "[[routes]]\nprefix = \"+1\"\ntransports = [] # <-", false, "routes.transports"},
		{"route prefix not a number", "[[routes]]\nprefix = \"1\" # <-\ntransports = [\"sim\"]", false, "routes.prefix"},
		{"route unreachable", "[[routes]]\nprefix = \"+1\"\ntransports = [\"sim\"]\n[[routes]]\nprefix = \"+1415\" # <-\ntransports = [\"sim\"]", false, "routes.prefix"},
		{"duplicate transport", "[[transports]]\nname = \"sim\" # <-\ntype = \"simulator\"", false, "transports.name"},
		{"transport without name", "[[transports]]\ntype = \"simulator\"\nname = \"\" # <-", false, "transports.name"},
		{"window below 1", "[[transports]]\nname = \"a\"\ntype = \"smpp\"\naddress = \"127.0.0.1:2775\"\n" +
			"[[transports]]\nname = \"b\"\ntype = \"smpp\"\naddress = \"127.0.0.1:2775\"\nwindow = 0 # <-", false, "transports.window"},
		{"wrong type in second entry", "[[transports]]\nname = \"a\"\ntype = \"smpp\"\naddress = \"127.0.0.1:2775\"\nwindow = 5\n" +
			"[[transports]]\nname = \"b\"\ntype = \"smpp\"\naddress = \"127.0.0.1:2775\"\nwindow = \"ten\" # <-", false, "transports.window"},
		{"bad duration in second entry", "[[transports]]\nname = \"a\"\ntype = \"modem\"\ndevice = \"/dev/a\"\nsend_interval = \"1s\"\n" +
			"[[transports]]\nname = \"b\"\ntype = \"modem\"\ndevice = \"/dev/b\"\nsend_interval = \"often\" # <-", false, "transports.send_interval"},
		{"unknown transport type", "[[transports]]\nname = \"x\"\ntype = \"pigeon\" # <-", false, "transports.type"},
		{"modem without device", "[[transports]] # <-\nname = \"m\"\ntype = \"modem\"", false, "transports"},
		{"modem with both", "[[transports]]\nname = \"m\"\ntype = \"modem\"\ndevice = \"/dev/a\"\ndevices = [\"/dev/b\"] # <-", false, "transports.devices"},
		{"smpp without address", "[[transports]]\nname = \"s\"\ntype = \"smpp\"\naddress = \"\" # <-", false, "transports.address"},
		{"smpp address not host:port", "[[transports]]\nname = \"s\"\ntype = \"smpp\"\naddress = \"smsc.example\" # <-", false, "transports.address"},
		{"smpp bad bind", "[[transports]]\nname = \"s\"\ntype = \"smpp\"\naddress = \"h:1\"\nbind = \"receiver\" # <-", false, "transports.bind"},
		{"smpp negative rate", "[[transports]]\nname = \"s\"\ntype = \"smpp\"\naddress = \"h:1\"\nrate = -1 # <-", false, "transports.rate"},
		{"modem key on smpp", "[[transports]]\nname = \"s\"\ntype = \"smpp\"\naddress = \"h:1\"\ndevice = \"/dev/x\" # <-", false, "transports.device"},
		{"listen not host:port", "[smtp]\nlisten = [\"2525\"] # <-", false, "smtp.listen"},
		{"listen_tls without cert", "[smtp]\nlisten_tls = [\"127.0.0.1:465\"] # <-", false, "smtp.listen_tls"},
		{"cert without key", "[smtp]\ntls_cert = \"c.pem\" # <-", false, "smtp.tls_cert"},
		{"region three letters", "[sms]\ndefault_region = \"USA\" # <-", false, "sms.default_region"},
		{"region unknown", "[sms]\ndefault_region = \"XX\" # <-", false, "sms.default_region"},
		{"allowed country unknown", "[sms]\nallowed_countries = [\"US\", \"EU\"] # <-", false, "sms.allowed_countries"},
		{"max_parts 0", "[sms]\nmax_parts = 0 # <-", false, "sms.max_parts"},
		{"max_parts 256", "[sms]\nmax_parts = 256 # <-", false, "sms.max_parts"},
		{"negative validity", "[sms]\nvalidity = \"-1h\" # <-", false, "sms.validity"},
		{"short line limit", "[smtp]\nmax_line_length = 500 # <-", false, "smtp.max_line_length"},
		{"no domains", "[smtp]\ndomains = [] # <-", false, "smtp.domains"},
		{"bad domain", "[smtp]\ndomains = [\"sms example\"] # <-", false, "smtp.domains"},
		{"bad user hash", "[[smtp.users]]\nname = \"a\"\npassword_hash = \"secret\" # <-", false, "smtp.users.password_hash"},
		{"bad receipts mode", "[receipts]\nmode = \"some\" # <-", false, "receipts.mode"},
		{"bad smarthost", "[receipts]\nsmarthost = \"mail.example.com\" # <-", false, "receipts.smarthost"},
		{"bad smarthost_tls", "[receipts]\nsmarthost_tls = \"maybe\" # <-", false, "receipts.smarthost_tls"},
		{"bad from", "[receipts]\nfrom = \"not an address\" # <-", false, "receipts.from"},
		{"bad default_to", "[inbound]\ndefault_to = \"nobody\" # <-", false, "inbound.default_to"},
		{"default_to with '@' in its quoted local part", "[inbound]\ndefault_to = '\"v@example.net\"@example.com' # <-", false, "inbound.default_to"},
		{"bad alias number", "[aliases]\noncall = [\"+14155550100\", \"call me\"] # <-", false, "aliases.oncall"},
		{"empty alias", "[aliases]\noncall = [] # <-", false, "aliases.oncall"},
		{"bad http listen", "[http]\nlisten = \"localhost\" # <-", false, "http.listen"},
		{"token both full and read-only", "[http]\ntokens = [\"t\"]\nread_only_tokens = [\"t\"] # <-", false, "http.read_only_tokens"},
		{"operator not a user", "[http]\noperators = [\"ops\"] # <-", false, "http.operators"},
		{"zero retention", "[store]\nretention = \"0s\" # <-", false, "store.retention"},
		{"unknown top-level key", "colour = \"red\" # <-\n" + sim, true, "colour"},
		{"unknown key in table", "[smtp]\nlisten_on = [\"x\"] # <-", false, "smtp.listen_on"},
		{"unknown table", "[metrics] # <-\nlisten = \"x\"", false, "metrics"},
		{"unknown key in second entry", "[[transports]]\nname = \"b\"\ntype = \"modem\"\ndevice = \"/dev/x\"\ndevcie = \"/dev/y\" # <-", false, "transports.devcie"},
		{"unknown key after multi-line values", "[smtp]\ndomains = [\n  \"a.example\",  # a ] in a comment\n  \"b.example\",\n]\n" +
			"[sms]\ncut_after = ['''x\n[not.a.table]\n''', \"\"\"y\\\"\"\"\"]\nbogus = 1 # <-", false, "sms.bogus"},
		{"unknown quoted key", "[smtp]\n\"max recipients\" = 5 # <-", false, `smtp."max recipients"`},
		{"unknown dotted key", "[sms]\nlimits.daily = 5 # <-", false, "sms.limits.daily"},
		{"syntax error", "[smtp]\nlisten = [\"a\" # <-\n", false, ""},
		{"duplicate key", "[sms]\nmax_parts = 2\nmax_parts = 3 # <-", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := tc.src
			if !tc.bare {
				src = sim + src
			}
			line := markedLine(src)
			c, err := Parse([]byte(src), "test.toml")
			if err == nil {
				t.Fatalf("Parse accepted:\n%s\n%+v", src, c)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v is not a *configs.Error", err, err)
			}
			want := fmt.Sprintf("test.toml:%d: ", line)
			if tc.key != "" {
				want += tc.key + ": "
			}
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("error %q does not contain %q", err, want)
			}
		})
	}
}

func TestParseNoTransports(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte("[smtp]\nlisten = [\"127.0.0.1:25\"]\n"), "empty.toml")
	if err == nil || err.Error() != "empty.toml: transports: at least one [[transports]] is required" {
		t.Fatalf("err = %v", err)
	}
}

func TestParseReportsEveryError(t *testing.T) {
	t.Parallel()
	src := sim + "[sms]\nencoding = \"utf9\"\nsplit = \"x\"\n"
	_, err := Parse([]byte(src), "f.toml")
	if got := len(configErrors(err)); got != 2 {
		t.Fatalf("%d errors, want 2: %v", got, err)
	}
	for _, want := range []string{"f.toml:5: sms.encoding: ", "f.toml:6: sms.split: "} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

func TestUnknownKeyEveryLine(t *testing.T) {
	t.Parallel()
	src := sim + "colour = 1\n" + "[[transports]]\nname = \"b\"\ntype = \"simulator\"\ncolour = 2\n"
	_, err := Parse([]byte(src), "f.toml")
	for _, want := range []string{"f.toml:4: transports.colour: unknown key", "f.toml:8: transports.colour: unknown key"} {
		if !strings.Contains(fmt.Sprint(err), want) {
			t.Errorf("%v lacks %q", err, want)
		}
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	src := sim + "[[transports]]\nname = \"smsc\"\ntype = \"smpp\"\naddress = \"127.0.0.1:2775\"\n" +
		"[[transports]]\nname = \"gsm\"\ntype = \"modem\"\ndevice = \"/dev/ttyUSB0\"\n" +
		"[smtp]\ndomains = [\"sms.example.com\"]\n"
	c, err := Parse([]byte(src), "d.toml")
	if err != nil {
		t.Fatal(err)
	}
	s := c.SMTP
	if !slices.Equal(s.Listen, []string{"127.0.0.1:2525"}) || s.Hostname == "" || s.MaxMessageBytes != 10<<20 ||
		s.MaxRecipients != 100 || s.MaxLineLength != 4096 || s.ReadTimeout.Duration != 2*time.Minute ||
		s.WriteTimeout.Duration != time.Minute || !slices.Equal(s.TrustedNetworks, []string{"127.0.0.0/8", "::1/128"}) {
		t.Errorf("smtp = %+v", s)
	}
	m := c.SMS
	if m.DefaultRegion != "US" || m.Encoding != "gsm7" || m.Split != "udh" || m.MaxParts != 6 ||
		m.OnTooLong != "truncate" || m.Subject != "prefix" || m.Validity.Duration != 24*time.Hour || m.StrictNumbers {
		t.Errorf("sms = %+v", m)
	}
	if c.Store.Path != "smsbridge-data/smsbridge.db" {
		t.Errorf("store = %+v", c.Store)
	}
	r := c.Receipts
	if r.Mode != "failure" || r.SmarthostTLS != "opportunistic" || r.DelayAfter.Duration != 4*time.Hour ||
		r.Maildir != "smsbridge-data/mail" || r.From != "smsbridge@sms.example.com" {
		t.Errorf("receipts = %+v", r)
	}
	if c.Inbound.ConversationTTL.Duration != 168*time.Hour || c.HTTP.Listen != "" {
		t.Errorf("inbound = %+v, http = %+v", c.Inbound, c.HTTP)
	}
	smsc, _ := c.Transport("smsc")
	if smsc.Bind != "transceiver" || smsc.Window != 10 || smsc.Binds != 1 || smsc.Long != "udh" ||
		smsc.ReceiptIDFormat != "auto" || smsc.EnquireLink.Duration != 30*time.Second ||
		smsc.ResponseTimeout.Duration != 10*time.Second || smsc.Rate != 0 {
		t.Errorf("smsc = %+v", smsc)
	}
	gsm, _ := c.Transport("gsm")
	if gsm.Baud != 115200 || gsm.DailyLimit != 500 || gsm.Window != 0 {
		t.Errorf("gsm = %+v", gsm)
	}
	simT, _ := c.Transport("sim")
	if simT.DeliveryDelay.Duration != 200*time.Millisecond {
		t.Errorf("sim = %+v", simT)
	}
	// Without [[routes]]: one route to every transport in file order.
	if len(c.Routes) != 1 || c.Routes[0].Prefix != "+" || !slices.Equal(c.Routes[0].Transports, []string{"sim", "smsc", "gsm"}) {
		t.Errorf("routes = %+v", c.Routes)
	}
}

func TestExplicitValuesKept(t *testing.T) {
	t.Parallel()
	src := "[[transports]]\nname = \"sim\"\ntype = \"simulator\"\ndelivery_delay = \"0s\"\n" +
		"[smtp]\nlisten = []\nlisten_tls = [\"[::1]:465\"]\ntls_cert = \"c\"\ntls_key = \"k\"\nhostname = \"mx.example\"\n" +
		"[sms]\ndefault_region = \"gb\"\n[receipts]\ndelay_after = \"0s\"\n"
	c, err := Parse([]byte(src), "x.toml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Transports[0].DeliveryDelay.Duration != 0 || len(c.SMTP.Listen) != 0 || c.Receipts.DelayAfter.Duration != 0 {
		t.Errorf("explicit zero values replaced by defaults: %+v %+v %+v", c.Transports[0], c.SMTP, c.Receipts)
	}
	if c.SMS.DefaultRegion != "GB" || c.SMTP.Hostname != "mx.example" {
		t.Errorf("sms = %+v", c.SMS)
	}
}

func TestErrorFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "a.toml", Line: 3, Key: "sms.split", Msg: "bad"}, "a.toml:3: sms.split: bad"},
		{Error{File: "a.toml", Key: "transports", Msg: "none"}, "a.toml: transports: none"},
		{Error{File: "a.toml", Line: 2, Msg: "syntax"}, "a.toml:2: syntax"},
		{Error{Key: "sms.split", Msg: "bad"}, "sms.split: bad"},
		{Error{Line: 4, Msg: "bad"}, "line 4: bad"},
	}
	for _, tc := range tests {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestValidateProgrammatic(t *testing.T) {
	t.Parallel()
	c := Default()
	c.File = "built"
	c.Transports[0].Type = "carrier-pigeon"
	c.SMS.MaxParts = 0
	err := c.Validate()
	errs := configErrors(err)
	if len(errs) != 2 || errs[0].Key != "sms.max_parts" || errs[1].Key != "transports.type" || errs[0].File != "built" {
		t.Fatalf("Validate = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", sim, string(defaultTOML), sim + "[sms]\nmax_parts = 0\n",
		sim + "[[routes]]\nprefix = \"+1\"\ntransports = [\"sim\"]\n[aliases]\na = [\"4151234567\"]\n",
		"[smtp]\nx = '''\n[a]\n'''\n" + sim} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.toml")
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not a *configs.Error: %v", err, err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted a config that Validate refuses: %v", err)
		}
	})
}

func TestInlineTransportKeepsExplicitValues(t *testing.T) {
	t.Parallel()
	src := `transports = [{name = "s", type = "simulator", delivery_delay = "0s"}, {name = "m", type = "modem", device = "/dev/x", daily_limit = 0}]`
	c, err := Parse([]byte(src), "i.toml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Transports[0].DeliveryDelay.Duration != 0 || c.Transports[1].DailyLimit != 0 || c.Transports[1].Baud != 115200 {
		t.Errorf("transports = %+v", c.Transports)
	}
}
