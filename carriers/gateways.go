package carriers

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// gatewaysCSV is the table of North American carrier email-to-SMS gateways:
// carrier,country,sms_domain,mms_domain,status with ";" between domains.
//
//go:embed gateways.csv
var gatewaysCSV string

// Carrier is one mobile carrier's email-to-SMS (and MMS) gateway.
type Carrier struct {
	Name       string
	Country    string // ISO 3166 region code
	SMSDomains []string
	MMSDomains []string
	Status     string // what is known of the gateway's state, e.g. "discontinued 2023-07"
}

type gatewayTable struct {
	carriers []Carrier
	byDomain map[string]int // domain → index of the carrier it belongs to most
}

// table parses the embedded CSV once; it is fixed data, so a broken file is a
// build defect and panics (the tests parse it).
var table = sync.OnceValue(func() gatewayTable {
	t, err := parseGateways(gatewaysCSV)
	if err != nil {
		panic(fmt.Sprintf("carriers: embedded gateways.csv: %v", err))
	}
	return t
})

func parseGateways(data string) (gatewayTable, error) {
	r := csv.NewReader(strings.NewReader(data))
	r.FieldsPerRecord = 5
	rows, err := r.ReadAll()
	if err != nil {
		return gatewayTable{}, fmt.Errorf("read: %w", err)
	}
	if len(rows) == 0 {
		return gatewayTable{}, fmt.Errorf("no header")
	}
	t := gatewayTable{byDomain: map[string]int{}}
	for _, row := range rows[1:] {
		c := Carrier{
			Name:       strings.TrimSpace(row[0]),
			Country:    strings.TrimSpace(row[1]),
			SMSDomains: splitDomains(row[2]),
			MMSDomains: splitDomains(row[3]),
			Status:     strings.TrimSpace(row[4]),
		}
		if c.Name == "" || len(c.SMSDomains) == 0 {
			return gatewayTable{}, fmt.Errorf("row %q: carrier name and SMS domain required", row)
		}
		t.carriers = append(t.carriers, c)
	}
	t.index()
	return t, nil
}

func splitDomains(s string) []string {
	var out []string
	for d := range strings.SplitSeq(s, ";") {
		if d = normDomain(d); d != "" {
			out = append(out, d)
		}
	}
	return out
}

func normDomain(d string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
}

// index maps each domain to one carrier. Several carriers share domains
// (MVNOs use their host's gateway), so a domain goes to the carrier whose
// primary SMS domain it is, else the first carrier listing it for SMS, else
// the first listing it for MMS.
func (t *gatewayTable) index() {
	passes := []func(Carrier) []string{
		func(c Carrier) []string { return c.SMSDomains[:1] },
		func(c Carrier) []string { return c.SMSDomains },
		func(c Carrier) []string { return c.MMSDomains },
	}
	for _, domains := range passes {
		for i, c := range t.carriers {
			for _, d := range domains(c) {
				if _, taken := t.byDomain[d]; !taken {
					t.byDomain[d] = i
				}
			}
		}
	}
}

// All returns every known carrier in table order. The result is a copy.
func All() []Carrier {
	cs := table().carriers
	out := make([]Carrier, len(cs))
	for i, c := range cs {
		out[i] = c.clone()
	}
	return out
}

func (c Carrier) clone() Carrier {
	c.SMSDomains = slices.Clone(c.SMSDomains)
	c.MMSDomains = slices.Clone(c.MMSDomains)
	return c
}

// LookupDomain finds the carrier of an SMS or MMS gateway domain, ignoring
// case and a trailing dot.
func LookupDomain(domain string) (Carrier, bool) {
	t := table()
	i, ok := t.byDomain[normDomain(domain)]
	if !ok {
		return Carrier{}, false
	}
	return t.carriers[i].clone(), true
}

// Lookup finds the carrier of a gateway address such as "4151234567@vtext.com".
func Lookup(address string) (Carrier, bool) {
	at := strings.LastIndexByte(address, '@')
	if at < 0 {
		return Carrier{}, false
	}
	return LookupDomain(address[at+1:])
}

// IsGatewayDomain reports whether domain is a known carrier gateway domain.
func IsGatewayDomain(domain string) bool {
	_, ok := table().byDomain[normDomain(domain)]
	return ok
}
