// Package configs loads smsbridge's TOML configuration, fills defaults and
// validates it. The example files beside it are parsed by its tests.
package configs

import "time"

// Config is the whole configuration file. Field tags are the stable key names
// of the product contract (SPEC.md); never rename one.
type Config struct {
	SMTP       SMTP                `toml:"smtp"`
	SMS        SMS                 `toml:"sms"`
	Text       Text                `toml:"text"`
	Store      Store               `toml:"store"`
	Transports []Transport         `toml:"transports"`
	Routes     []Route             `toml:"routes"`
	Receipts   Receipts            `toml:"receipts"`
	Inbound    Inbound             `toml:"inbound"`
	Aliases    map[string][]string `toml:"aliases"`
	HTTP       HTTP                `toml:"http"`
	Limits     Limits              `toml:"limits"`
	Priority   Priority            `toml:"priority"`
	Campaigns  Campaigns           `toml:"campaigns"`
	Kannel     Kannel              `toml:"kannel"`
	SMPPServer SMPPServer          `toml:"smpp_server"`
	Cluster    *Cluster            `toml:"cluster"` // nil: no [cluster]
	NATS       *NATS               `toml:"nats"`    // nil: no [nats]

	// File is where the configuration came from ("" for the embedded default).
	File string `toml:"-"`
}

type SMTP struct {
	Listen               []string `toml:"listen"`
	ListenTLS            []string `toml:"listen_tls"`
	Hostname             string   `toml:"hostname"`
	Domains              []string `toml:"domains"`
	AcceptCarrierDomains bool     `toml:"accept_carrier_domains"`
	MaxMessageBytes      int64    `toml:"max_message_bytes"`
	MaxRecipients        int      `toml:"max_recipients"`
	MaxLineLength        int      `toml:"max_line_length"`
	ReadTimeout          Duration `toml:"read_timeout"`
	WriteTimeout         Duration `toml:"write_timeout"`
	TrustedNetworks      []string `toml:"trusted_networks"`
	TLSCert              string   `toml:"tls_cert"`
	TLSKey               string   `toml:"tls_key"`
	Users                []User   `toml:"users"`
	// Abuse and hardening limits; 0 means no limit.
	MaxConnectionsPerIP int `toml:"max_connections_per_ip"` // per client address (IPv6: per /64)
	MaxInFlight         int `toml:"max_in_flight"`          // DATA transactions at once, all clients
	// Slow clients: a DATA body must arrive within DataTimeout and, after
	// its first 10 s, at MinDataRate bytes a second on average; a client
	// (address or user) holds at most MaxInFlightPerClient DATA slots; a
	// connection lives at most SessionTimeout (0: no bound).
	MaxInFlightPerClient int      `toml:"max_inflight_per_client"`
	DataTimeout          Duration `toml:"data_timeout"`
	MinDataRate          int64    `toml:"min_data_rate"`
	SessionTimeout       Duration `toml:"session_timeout"`
	SenderVerification   string   `toml:"sender_verification"` // off | tag | reject: SPF, DKIM, DMARC without AUTH
}

type User struct {
	Name         string `toml:"name"`
	PasswordHash string `toml:"password_hash"`
	// AllowedSenders: MAIL FROM addresses and "@domain"s ("<>" for the null
	// sender); empty = any.
	AllowedSenders []string `toml:"allowed_senders"`
	// AllowedRecipients: alias names and E.164 number prefixes ("+1");
	// empty = any.
	AllowedRecipients []string `toml:"allowed_recipients"`
	// Per-user limits; 0 = the [limits] value.
	MailsPerMinute    int `toml:"mails_per_minute"`
	PartsPerDay       int `toml:"parts_per_day"`
	RecipientsPerMail int `toml:"recipients_per_mail"`
	// Integrations (Kannel's sendsms, ESMEs): see configs/smppserver.go.
	SMSSenders       []string `toml:"sms_senders"`
	DefaultSMSSender string   `toml:"default_sms_sender"`
	SMPPNumbers      []string `toml:"smpp_numbers"`
}

// Limits are the abuse limits per authenticated user and per envelope
// sender address; 0 means no limit.
type Limits struct {
	MailsPerMinute    int `toml:"mails_per_minute"`
	PartsPerDay       int `toml:"parts_per_day"` // SMS parts (parts × numbers), per UTC day
	RecipientsPerMail int `toml:"recipients_per_mail"`
}

type SMS struct {
	DefaultRegion    string   `toml:"default_region"`
	Encoding         string   `toml:"encoding"`    // ascii | gsm7 | ucs2 | auto
	Split            string   `toml:"split"`       // udh | plain
	MaxParts         int      `toml:"max_parts"`   // >= 1
	OnTooLong        string   `toml:"on_too_long"` // truncate | reject
	Subject          string   `toml:"subject"`     // prefix | ignore
	Validity         Duration `toml:"validity"`
	StrictNumbers    bool     `toml:"strict_numbers"`
	AllowedCountries []string `toml:"allowed_countries"` // ISO 3166 region codes
	CutAfter         []string `toml:"cut_after"`         // regular expressions; the old name of [text] cut_after
	Unreadable       string   `toml:"unreadable"`        // ucs2 | reject: gsm7/ascii text mostly in Japanese or Korean
	AllowPremium     bool     `toml:"allow_premium"`     // premium-rate, shared-cost and similar numbers
	LogText          bool     `toml:"log_text"`          // SMS text may appear in logs
	ShowLinks        bool     `toml:"show_links"`        // HTML links show their address where the text does not
}

// Text says how a mail is made into the text of its SMS.
type Text struct {
	CutAfter []string `toml:"cut_after"` // regular expressions: the text from the first match on is dropped
	Drop     []string `toml:"drop"`      // regular expressions: a paragraph one matches is removed
	URLs     string   `toml:"urls"`      // keep | short | drop
	Emoji    string   `toml:"emoji"`     // words | drop: in GSM-7 and ASCII
}

type Store struct {
	// Backend is "bbolt" (the file at path) or "nats" (JetStream, with
	// [cluster] or [nats]).
	Backend string `toml:"backend"`
	Path    string `toml:"path"`
	// Retention: messages all final and reported are deleted this long
	// after they arrived (the API and `queue` no longer show them).
	Retention Duration `toml:"retention"`
}

// Transport is one [[transports]] table; which keys apply depends on Type.
type Transport struct {
	Name string `toml:"name"`
	Type string `toml:"type"` // smpp | modem | simulator

	// smpp
	Address         string   `toml:"address"`
	SystemID        string   `toml:"system_id"`
	Password        string   `toml:"password"`
	SystemType      string   `toml:"system_type"`
	Bind            string   `toml:"bind"` // transmitter | transceiver | transmitter+receiver
	Source          string   `toml:"source"`
	Rate            float64  `toml:"rate"`   // submits per second; 0 = no limit
	Window          int      `toml:"window"` // submits in flight per bind
	Binds           int      `toml:"binds"`
	Long            string   `toml:"long"`              // udh | sar | payload
	ReceiptIDFormat string   `toml:"receipt_id_format"` // auto | hex | dec
	EnquireLink     Duration `toml:"enquire_link"`
	ResponseTimeout Duration `toml:"response_timeout"`
	GSM7Coding      string   `toml:"gsm7_coding"`  // unpacked | packed: how data_coding 0 carries GSM-7
	ASCIICoding     string   `toml:"ascii_coding"` // gsm7 | ia5 | latin1: data_coding for encoding = "ascii"
	// InDoubtLimit is how long a submit unanswered after response_timeout
	// is waited for while its bind is up.
	InDoubtLimit Duration `toml:"in_doubt_limit"`

	// smpp and modem: how often a part is sent again after sends in doubt
	// (link lost, in_doubt_limit passed, +CMGS timed out, crash); 0 = never.
	MaxInDoubtResends int `toml:"max_in_doubt_resends"`

	// modem
	Device       string   `toml:"device"`
	Baud         int      `toml:"baud"`
	PIN          string   `toml:"pin"`
	Devices      []string `toml:"devices"`
	DailyLimit   int      `toml:"daily_limit"`
	MonthlyLimit int      `toml:"monthly_limit"`
	SendInterval Duration `toml:"send_interval"`

	// simulator
	DeliveryDelay Duration `toml:"delivery_delay"`
	FailPrefixes  []string `toml:"fail_prefixes"` // numbers starting so are undeliverable
}

type Route struct {
	Prefix     string   `toml:"prefix"`
	Transports []string `toml:"transports"`
	Source     string   `toml:"source"` // overrides the transport's source
}

type Receipts struct {
	Mode              string   `toml:"mode"` // all | failure | none
	Smarthost         string   `toml:"smarthost"`
	SmarthostUser     string   `toml:"smarthost_user"`
	SmarthostPassword string   `toml:"smarthost_password"`
	SmarthostTLS      string   `toml:"smarthost_tls"` // opportunistic | starttls | implicit | none
	DelayAfter        Duration `toml:"delay_after"`
	RetryMin          Duration `toml:"retry_min"` // first retry of mail the smarthost refused; doubles up to an hour
	Maildir           string   `toml:"maildir"`
	From              string   `toml:"from"`
}

type Inbound struct {
	DefaultTo       string   `toml:"default_to"`
	ConversationTTL Duration `toml:"conversation_ttl"`
	// Answers by SMS to STOP, START and HELP from a phone; "" sends none.
	StopReply  string `toml:"stop_reply"`
	StartReply string `toml:"start_reply"`
	HelpReply  string `toml:"help_reply"`
}

type HTTP struct {
	Listen string   `toml:"listen"`
	Tokens []string `toml:"tokens"`
	// PublicMetrics serves /metrics to anyone who reaches the listener;
	// otherwise it is guarded as /api/v1 is.
	PublicMetrics bool `toml:"public_metrics"`
	// ReadOnlyTokens may read the API (GET) and see the web console,
	// never change anything.
	ReadOnlyTokens []string `toml:"read_only_tokens"`
	// Operators are [[smtp.users]] who may change things in the web console
	// (send, cancel, retry, opt-outs); other users log in read-only.
	Operators []string `toml:"operators"`
}

// Duration is a time.Duration written in TOML as a string such as "24h".
type Duration struct{ time.Duration }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }
