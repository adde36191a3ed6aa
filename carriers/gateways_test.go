package carriers

import (
	"slices"
	"testing"
)

func TestLookupDomain(t *testing.T) {
	t.Parallel()
	tests := []struct {
		domain, carrier string
		ok              bool
	}{
		{"vtext.com", "Verizon Wireless", true},
		{"VTEXT.COM.", "Verizon Wireless", true},
		{"vzwpix.com", "Verizon Wireless", true}, // MMS domain
		{"txt.att.net", "AT&T", true},
		{"tmomail.net", "T-Mobile", true}, // primary of T-Mobile, shared by TracFone
		{"mmst5.tracfone.com", "TracFone", true},
		{"mobile.mycingular.com", "AT&T legacy/Cingular", true}, // second SMS domain
		{"msg.telus.com", "Telus Mobility", true},
		{"txt.bell.ca", "Bell Mobility/Solo", true},
		{" msg.fi.google.com ", "Google Fi", true},
		{"sms.example.com", "", false},
		{"", "", false},
		{".", "", false},
	}
	for _, tc := range tests {
		c, ok := LookupDomain(tc.domain)
		if ok != tc.ok || c.Name != tc.carrier {
			t.Errorf("LookupDomain(%q) = %q, %v; want %q, %v", tc.domain, c.Name, ok, tc.carrier, tc.ok)
		}
		if IsGatewayDomain(tc.domain) != tc.ok {
			t.Errorf("IsGatewayDomain(%q) = %v, want %v", tc.domain, !tc.ok, tc.ok)
		}
	}
}

func TestLookupAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr, carrier string
		ok            bool
	}{
		{"4151234567@vtext.com", "Verizon Wireless", true},
		{"4151234567@TXT.ATT.NET", "AT&T", true},
		{"weird@name@sms.rogers.com", "Rogers Wireless", true},
		{"4151234567", "", false},
		{"4151234567@example.org", "", false},
	}
	for _, tc := range tests {
		c, ok := Lookup(tc.addr)
		if ok != tc.ok || c.Name != tc.carrier {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", tc.addr, c.Name, ok, tc.carrier, tc.ok)
		}
	}
}

func TestAll(t *testing.T) {
	t.Parallel()
	all := All()
	if len(all) != 35 {
		t.Fatalf("All() has %d carriers, want the 35 rows of gateways.csv", len(all))
	}
	first := all[0]
	if first.Name != "AT&T" || first.Country != "US" || !slices.Equal(first.SMSDomains, []string{"txt.att.net"}) ||
		!slices.Equal(first.MMSDomains, []string{"mms.att.net"}) || first.Status != "discontinued 2025-06-17" {
		t.Fatalf("first carrier = %+v", first)
	}
	for _, c := range all {
		if c.Country != "US" && c.Country != "CA" {
			t.Errorf("%s: country %q", c.Name, c.Country)
		}
		for _, d := range slices.Concat(c.SMSDomains, c.MMSDomains) {
			if !IsGatewayDomain(d) {
				t.Errorf("%s: domain %q not indexed", c.Name, d)
			}
		}
	}
	// The result is a copy: callers cannot corrupt the table.
	all[0].SMSDomains[0] = "evil.example"
	if c, _ := LookupDomain("txt.att.net"); c.SMSDomains[0] != "txt.att.net" {
		t.Fatal("All() exposed the shared table")
	}
}

func TestParseGatewaysErrors(t *testing.T) {
	t.Parallel()
	for name, data := range map[string]string{
		"empty":         "",
		"short row":     "h1,h2,h3,h4,h5\nX,US\n",
		"no sms domain": "h1,h2,h3,h4,h5\nX,US,,mms.x,ok\n",
		"no name":       "h1,h2,h3,h4,h5\n,US,sms.x,,ok\n",
	} {
		if _, err := parseGateways(data); err == nil {
			t.Errorf("%s: parseGateways accepted %q", name, data)
		}
	}
}
