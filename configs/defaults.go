package configs

import (
	"os"
	"strings"
	"time"
)

// Default values of the product contract (SPEC.md). Keys of single tables are
// filled before decoding, so a key the file sets, even to zero, keeps its
// value; [[transports]] entries get theirs after, key by key.
const (
	defaultListen       = "127.0.0.1:2525"
	defaultDomain       = "sms.localhost"
	defaultDataDir      = "smsbridge-data"
	defaultMaxMessage   = 10 << 20
	defaultMaxRcpts     = 100
	defaultMaxLine      = 4096 // RFC 5321 requires at least 1000; long HTML lines are common
	defaultReadTimeout  = 2 * time.Minute
	defaultWriteTimeout = time.Minute
	defaultConnsPerIP   = 20
	defaultInFlight     = 32
	defaultPerClient    = 8 // a quarter of max_in_flight
	defaultDataTimeout  = 10 * time.Minute
	defaultMinDataRate  = 512 // bytes a second, after the first 10 s of a body
	defaultSession      = 30 * time.Minute
	defaultMailsPerMin  = 60
	defaultPartsPerDay  = 1000
	defaultRcptsPerMail = 50
	// [smpp_server]: Kannel's max-pending-submits default, and how long
	// the segments of a concatenated submit_sm may take to come.
	defaultESMEWindow = 10
	defaultSegmentTTL = 10 * time.Minute
)

func hostname() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
}

func dur(d time.Duration) Duration { return Duration{d} }

// defaults returns a Config with every single-table key at its default.
// Slices are fresh on every call: the decoder writes into them.
func defaults() *Config {
	return &Config{
		SMTP: SMTP{
			Listen:          []string{defaultListen},
			Hostname:        hostname(),
			Domains:         []string{defaultDomain},
			MaxMessageBytes: defaultMaxMessage,
			MaxRecipients:   defaultMaxRcpts,
			MaxLineLength:   defaultMaxLine,
			ReadTimeout:     dur(defaultReadTimeout),
			WriteTimeout:    dur(defaultWriteTimeout),
			TrustedNetworks: []string{"127.0.0.0/8", "::1/128"},

			MaxConnectionsPerIP:  defaultConnsPerIP,
			MaxInFlight:          defaultInFlight,
			MaxInFlightPerClient: defaultPerClient,
			DataTimeout:          dur(defaultDataTimeout),
			MinDataRate:          defaultMinDataRate,
			SessionTimeout:       dur(defaultSession),
			SenderVerification:   "off",
		},
		Limits: Limits{
			MailsPerMinute:    defaultMailsPerMin,
			PartsPerDay:       defaultPartsPerDay,
			RecipientsPerMail: defaultRcptsPerMail,
		},
		SMS: SMS{
			DefaultRegion: "US",
			Encoding:      "gsm7",
			Split:         "udh",
			MaxParts:      6,
			OnTooLong:     "truncate",
			Subject:       "prefix",
			Validity:      dur(24 * time.Hour),
			Unreadable:    "ucs2",
		},
		Text:  Text{URLs: "keep", Emoji: "words"},
		Store: Store{Backend: BackendBBolt, Path: defaultDataDir + "/smsbridge.db", Retention: dur(7 * 24 * time.Hour)},
		Receipts: Receipts{
			Mode:         "failure",
			SmarthostTLS: "opportunistic",
			DelayAfter:   dur(4 * time.Hour),
			RetryMin:     dur(30 * time.Second),
			Maildir:      defaultDataDir + "/mail",
		},
		Inbound: Inbound{
			ConversationTTL: dur(168 * time.Hour),
			StopReply:       "You are unsubscribed and will get no more messages from this number. Reply START to subscribe again.",
			StartReply:      "You are subscribed again. Reply STOP to unsubscribe.",
			HelpReply:       "Messages from an email-to-SMS gateway. Reply STOP to unsubscribe, START to subscribe again.",
		},
		Priority:  Priority{NormalShare: defaultShare, BulkShare: defaultShare},
		Campaigns: Campaigns{MinRecipients: defaultCampaignRecipients, TimeZone: recipientZone},

		SMPPServer: SMPPServer{Window: defaultESMEWindow, SegmentTTL: dur(defaultSegmentTTL)},
	}
}

// transportDefaults fills the keys of a transport of its type that its table
// did not set (set reports whether a key was written).
func transportDefaults(t *Transport, set func(key string) bool) {
	fill := func(key string, apply func()) {
		if !set(key) {
			apply()
		}
	}
	switch t.Type {
	case "smpp":
		fill("bind", func() { t.Bind = "transceiver" })
		fill("window", func() { t.Window = 10 })
		fill("binds", func() { t.Binds = 1 })
		fill("long", func() { t.Long = "udh" })
		fill("receipt_id_format", func() { t.ReceiptIDFormat = "auto" })
		fill("enquire_link", func() { t.EnquireLink = dur(30 * time.Second) })
		fill("response_timeout", func() { t.ResponseTimeout = dur(10 * time.Second) })
		fill("gsm7_coding", func() { t.GSM7Coding = "unpacked" })
		fill("ascii_coding", func() { t.ASCIICoding = "gsm7" })
		fill("in_doubt_limit", func() { t.InDoubtLimit = dur(5 * time.Minute) })
		fill("max_in_doubt_resends", func() { t.MaxInDoubtResends = 1 })
	case "modem":
		fill("baud", func() { t.Baud = 115200 })
		fill("daily_limit", func() { t.DailyLimit = 500 })
		fill("max_in_doubt_resends", func() { t.MaxInDoubtResends = 1 })
	case "simulator":
		fill("delivery_delay", func() { t.DeliveryDelay = dur(200 * time.Millisecond) })
	}
}

// derive fills the values that depend on others.
func (c *Config) derive() {
	c.SMS.DefaultRegion = strings.ToUpper(c.SMS.DefaultRegion)
	if c.Receipts.From == "" {
		domain := c.SMTP.Hostname
		if len(c.SMTP.Domains) > 0 {
			domain = c.SMTP.Domains[0]
		}
		c.Receipts.From = "smsbridge@" + domain
	}
	if len(c.Routes) == 0 && len(c.Transports) > 0 {
		all := make([]string, len(c.Transports))
		for i, t := range c.Transports {
			all[i] = t.Name
		}
		c.Routes = []Route{{Prefix: "+", Transports: all}}
	}
}
