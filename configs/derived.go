package configs

import (
	"slices"

	"github.com/smsbridge/smsbridge/carriers"
)

// NumberPolicy is the [sms] number checking as a carriers.NumberPolicy.
// Premium-rate and similar numbers are refused unless allow_premium is set.
func (cfg *Config) NumberPolicy() carriers.NumberPolicy {
	return carriers.NumberPolicy{
		DefaultRegion:    cfg.SMS.DefaultRegion,
		Strict:           cfg.SMS.StrictNumbers,
		AllowedCountries: slices.Clone(cfg.SMS.AllowedCountries),
		AllowPremium:     cfg.SMS.AllowPremium,
	}
}

// RouteTable is [[routes]] as a carriers.Routes, in file order.
func (cfg *Config) RouteTable() carriers.Routes {
	rs := make(carriers.Routes, len(cfg.Routes))
	for i, r := range cfg.Routes {
		rs[i] = carriers.Route{Prefix: r.Prefix, Transports: slices.Clone(r.Transports), Source: r.Source}
	}
	return rs
}
