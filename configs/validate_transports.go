package configs

import (
	"strings"
)

func (cfg *Config) validateTransports(c *checker) {
	if len(cfg.Transports) == 0 {
		c.add("transports", "at least one [[transports]] is required")
	}
	seen := map[string]bool{}
	for i := range cfg.Transports {
		t := &cfg.Transports[i]
		p := indexPath("transports", i)
		switch {
		case t.Name == "":
			c.add(p+".name", "must not be empty")
		case seen[t.Name]:
			c.add(p+".name", "duplicate transport name %q", t.Name)
		}
		seen[t.Name] = true
		switch t.Type {
		case "smpp":
			validateSMPP(c, p, t)
		case "modem":
			validateModem(c, p, t)
		case "simulator":
			validateSimulator(c, p, t)
		default:
			c.add(p+".type", "%q is not one of smpp, modem, simulator", t.Type)
		}
	}
}

func validateSMPP(c *checker, p string, t *Transport) {
	if t.Address == "" {
		c.add(p+".address", "an smpp transport needs an address (host:port)")
	} else {
		c.hostPort(p+".address", t.Address)
	}
	c.oneOf(p+".bind", t.Bind, "transmitter", "transceiver", "transmitter+receiver")
	c.oneOf(p+".gsm7_coding", t.GSM7Coding, "unpacked", "packed")
	c.oneOf(p+".ascii_coding", t.ASCIICoding, "gsm7", "ia5", "latin1")
	if t.Rate < 0 || !finite(t.Rate) {
		c.add(p+".rate", "must be 0 (no limit) or more")
	}
	c.atLeast(p+".window", int64(t.Window), 1)
	c.atLeast(p+".binds", int64(t.Binds), 1)
	c.oneOf(p+".long", t.Long, "udh", "sar", "payload")
	c.oneOf(p+".receipt_id_format", t.ReceiptIDFormat, "auto", "hex", "dec")
	c.positive(p+".enquire_link", t.EnquireLink)
	c.positive(p+".response_timeout", t.ResponseTimeout)
	// The field sizes of SMPP 3.4's bind PDUs (octets, without the NUL).
	c.atMost(p+".system_id", len(t.SystemID), 15)
	c.atMost(p+".password", len(t.Password), 8)
	c.atMost(p+".system_type", len(t.SystemType), 12)
	if t.InDoubtLimit.Duration < t.ResponseTimeout.Duration {
		c.add(p+".in_doubt_limit", "must be at least response_timeout (%s)", t.ResponseTimeout.Duration)
	}
	c.atLeast(p+".max_in_doubt_resends", int64(t.MaxInDoubtResends), 0)
	notFor(c, p, "smpp", t, modemKeys, simulatorKeys)
}

func validateModem(c *checker, p string, t *Transport) {
	switch {
	case t.Device == "" && len(t.Devices) == 0:
		c.add(p, "a modem transport needs device or devices")
	case t.Device != "" && len(t.Devices) > 0:
		c.add(p+".devices", "set device or devices, not both")
	}
	seen := map[string]bool{}
	for _, d := range t.Devices {
		if d == "" || seen[d] {
			c.add(p+".devices", "empty or repeated device %q", d)
		}
		seen[d] = true
	}
	c.atLeast(p+".baud", int64(t.Baud), 1)
	c.atLeast(p+".daily_limit", int64(t.DailyLimit), 0)
	c.atLeast(p+".monthly_limit", int64(t.MonthlyLimit), 0)
	c.notNegative(p+".send_interval", t.SendInterval)
	c.atLeast(p+".max_in_doubt_resends", int64(t.MaxInDoubtResends), 0)
	notFor(c, p, "modem", t, smppKeys, simulatorKeys)
}

func validateSimulator(c *checker, p string, t *Transport) {
	c.notNegative(p+".delivery_delay", t.DeliveryDelay)
	for _, f := range t.FailPrefixes {
		if !isPrefix(f) || f == "+" {
			c.add(p+".fail_prefixes", "%q is not a number prefix such as \"+1555\"", f)
		}
	}
	if t.MaxInDoubtResends != 0 {
		c.add(p+".max_in_doubt_resends", "applies to smpp and modem transports only")
	}
	notFor(c, p, "simulator", t, smppKeys, modemKeys)
}

// typeKey is a key that belongs to one transport type, and whether it is set.
type typeKey struct {
	name string
	set  func(*Transport) bool
}

var (
	smppKeys = []typeKey{
		{"address", func(t *Transport) bool { return t.Address != "" }},
		{"system_id", func(t *Transport) bool { return t.SystemID != "" }},
		{"password", func(t *Transport) bool { return t.Password != "" }},
		{"system_type", func(t *Transport) bool { return t.SystemType != "" }},
		{"bind", func(t *Transport) bool { return t.Bind != "" }},
		{"rate", func(t *Transport) bool { return t.Rate != 0 }},
		{"window", func(t *Transport) bool { return t.Window != 0 }},
		{"binds", func(t *Transport) bool { return t.Binds != 0 }},
		{"long", func(t *Transport) bool { return t.Long != "" }},
		{"receipt_id_format", func(t *Transport) bool { return t.ReceiptIDFormat != "" }},
		{"enquire_link", func(t *Transport) bool { return t.EnquireLink.Duration != 0 }},
		{"response_timeout", func(t *Transport) bool { return t.ResponseTimeout.Duration != 0 }},
		{"gsm7_coding", func(t *Transport) bool { return t.GSM7Coding != "" }},
		{"ascii_coding", func(t *Transport) bool { return t.ASCIICoding != "" }},
		{"in_doubt_limit", func(t *Transport) bool { return t.InDoubtLimit.Duration != 0 }},
	}
	modemKeys = []typeKey{
		{"device", func(t *Transport) bool { return t.Device != "" }},
		{"baud", func(t *Transport) bool { return t.Baud != 0 }},
		{"pin", func(t *Transport) bool { return t.PIN != "" }},
		{"devices", func(t *Transport) bool { return len(t.Devices) > 0 }},
		{"daily_limit", func(t *Transport) bool { return t.DailyLimit != 0 }},
		{"monthly_limit", func(t *Transport) bool { return t.MonthlyLimit != 0 }},
		{"send_interval", func(t *Transport) bool { return t.SendInterval.Duration != 0 }},
	}
	simulatorKeys = []typeKey{
		{"delivery_delay", func(t *Transport) bool { return t.DeliveryDelay.Duration != 0 }},
		{"fail_prefixes", func(t *Transport) bool { return len(t.FailPrefixes) > 0 }},
	}
)

// notFor reports keys of other transport types: they would be silently
// ignored, which hides typos such as a modem "device" on an smpp transport.
func notFor(c *checker, p, typ string, t *Transport, others ...[]typeKey) {
	for _, keys := range others {
		for _, k := range keys {
			if k.set(t) {
				c.add(p+"."+k.name, "not used by a transport of type %s", typ)
			}
		}
	}
}

// Transport looks up a [[transports]] entry by name.
func (cfg *Config) Transport(name string) (*Transport, bool) {
	for i := range cfg.Transports {
		if cfg.Transports[i].Name == name {
			return &cfg.Transports[i], true
		}
	}
	return nil, false
}

func (cfg *Config) validateRoutes(c *checker) {
	for i, r := range cfg.Routes {
		p := indexPath("routes", i)
		if !isPrefix(r.Prefix) {
			c.add(p+".prefix", "%q is not \"+\" followed by digits", r.Prefix)
		}
		if len(r.Transports) == 0 {
			c.add(p+".transports", "a route needs at least one transport")
		}
		for _, name := range r.Transports {
			if _, ok := cfg.Transport(name); !ok {
				c.add(p+".transports", "no transport named %q", name)
			}
		}
		for j, earlier := range cfg.Routes[:i] {
			if strings.HasPrefix(r.Prefix, earlier.Prefix) {
				// The first matching route wins, so this one never would.
				c.add(p+".prefix", "unreachable: route %d (prefix %q) above matches first", j+1, earlier.Prefix)
				break
			}
		}
	}
}

func isPrefix(s string) bool {
	digits, ok := strings.CutPrefix(s, "+")
	return ok && strings.Trim(digits, "0123456789") == "" && len(digits) <= 15
}
