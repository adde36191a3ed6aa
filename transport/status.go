package transport

import "time"

// Status is what a transport tells beyond up or down, for the API's
// /api/v1/transports and for metrics. Each kind of transport fills its own
// part and leaves the others nil; in JSON the parts' fields stand side by
// side, as one object.
type Status struct {
	*SMPPStatus
	*ModemsStatus
}

// SMPPStatus is an SMPP transport's binds.
type SMPPStatus struct {
	Address     string       `json:"address"`
	BindsWanted int          `json:"binds_wanted"`
	Bound       []BindStatus `json:"bound"` // the binds that can submit now
}

// BindStatus is one SMPP bind.
type BindStatus struct {
	Kind     string `json:"kind"` // transmitter, receiver, transceiver
	InFlight int    `json:"in_flight"`
	Window   int    `json:"window"`
	Suspect  bool   `json:"suspect"` // a probe checks whether the SMSC still answers
}

// ModemsStatus is a modem transport's modems and its SIM limits.
type ModemsStatus struct {
	Modems       []ModemStatus `json:"modems"`
	DailyLimit   int           `json:"daily_limit"`
	MonthlyLimit int           `json:"monthly_limit"`
}

// ModemStatus is one modem as last seen. Its JSON names are the Go names,
// as the API has always written them.
type ModemStatus struct {
	Device       string
	Up           bool
	SIM          string // IMSI, or the device when the modem does not tell
	Number       string // the SIM's own number, when the SIM knows it
	Registration string // home, roaming, searching, denied, …
	RSSI         int    // +CSQ signal, 0-31, 99 unknown
	Polled       time.Time
	SentToday    int
	SentMonth    int
	// Unacknowledged counts +CNMA the modem did not take (it had given up
	// waiting), IndicationsOff the times the SIM poll found new-message
	// indications turned off and turned them on again; both since start.
	Unacknowledged int
	IndicationsOff int
}
