package configs

import (
	"github.com/smsbridge/smsbridge/campaign"
)

// Campaigns is the [campaigns] table: which bulk messages become paced
// campaigns, and their pace unless the API gives one.
type Campaigns struct {
	MinRecipients int     `toml:"min_recipients"` // a bulk message to this many numbers or more; 0 = none
	Rate          float64 `toml:"rate"`           // parts per second per campaign; 0 = no pacing
	Window        string  `toml:"window"`         // "08:00-20:00" local time; "" = all day
	TimeZone      string  `toml:"time_zone"`      // "recipient" (from each number) or an IANA zone such as "Europe/Zurich"
}

const (
	defaultCampaignRecipients = 10
	recipientZone             = "recipient"
)

// CampaignPace is the [campaigns] pace, parsed (the file is validated).
func (cfg *Config) CampaignPace() campaign.Pace {
	w, _ := campaign.ParseWindow(cfg.Campaigns.Window)
	return campaign.Pace{Rate: cfg.Campaigns.Rate, Window: w, Zone: ZoneSetting(cfg.Campaigns.TimeZone)}
}

// ZoneSetting maps a time_zone value to campaign.Pace.Zone: "recipient"
// (or "") is each recipient's own zone.
func ZoneSetting(s string) string {
	if s == recipientZone {
		return ""
	}
	return s
}

func (cfg *Config) validateCampaigns(c *checker) {
	cc := cfg.Campaigns
	c.atLeast("campaigns.min_recipients", int64(cc.MinRecipients), 0)
	if !finite(cc.Rate) || cc.Rate < 0 {
		c.add("campaigns.rate", "%v is not a rate in parts per second (0 = no pacing)", cc.Rate)
	}
	if _, err := campaign.ParseWindow(cc.Window); err != nil {
		c.add("campaigns.window", "%v", err)
	}
	if err := campaign.CheckZone(ZoneSetting(cc.TimeZone)); err != nil {
		c.add("campaigns.time_zone", "%v; use \"recipient\" or a zone such as \"Europe/Zurich\"", err)
	}
}
