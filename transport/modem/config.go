// Package modem is the GSM modem transport: SMS sent and received through
// modems on serial ports (USB sticks, modem pools), one SIM each, in PDU
// mode with status reports. Several modems make one transport: the load is
// spread over them, each SIM within its daily and monthly limits and its
// pace, and a modem that vanishes is reopened with backoff.
package modem

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Quota keeps the per-SIM send counts where restarts do not reset them
// (the store). Counts are per calendar day and month of day's location.
type Quota interface {
	QuotaAdd(ctx context.Context, sim string, day time.Time, n int) (dayCount, monthCount int, err error)
	QuotaGet(ctx context.Context, sim string, day time.Time) (dayCount, monthCount int, err error)
}

// Config is one modem transport.
type Config struct {
	Name         string
	Devices      []string // serial devices, one modem and SIM each
	Baud         int      // default 115200
	PIN          string   // SIM PIN, given when a SIM asks; the same for all SIMs
	DailyLimit   int      // sends per SIM per day; 0 = no limit
	MonthlyLimit int      // sends per SIM per month; 0 = no limit
	SendInterval time.Duration
	Quota        Quota // nil counts in memory only
	Logger       *slog.Logger

	// Tuning; zero means the default.
	CommandTimeout time.Duration // an ordinary AT command; default 10s
	SendTimeout    time.Duration // one +CMGS; default 40s (networks can be slow)
	PollInterval   time.Duration // +CREG/+CSQ; default 1m
	ReopenMin      time.Duration // delay after a failed open; default 500ms (a modem lost after it sent is reopened at once)
	ReopenMax      time.Duration // reopen delays double up to this; default 30s
	// PinFor is how long the parts of one concatenated message wait for the
	// modem that sent their first part before another may send them (a phone
	// only joins parts from the same sender); default 10m.
	PinFor time.Duration
	Now    func() time.Time // default time.Now
}

func (c *Config) fill() error {
	if c.Name == "" {
		return errors.New("modem: a transport needs a name")
	}
	if len(c.Devices) == 0 {
		return errors.New("modem: no device")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.Baud <= 0 {
		c.Baud = 115200
	}
	def(&c.CommandTimeout, 10*time.Second)
	def(&c.SendTimeout, 40*time.Second)
	def(&c.PollInterval, time.Minute)
	def(&c.ReopenMin, 500*time.Millisecond)
	def(&c.ReopenMax, 30*time.Second)
	def(&c.PinFor, 10*time.Minute)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Quota == nil {
		c.Quota = newMemQuota()
	}
	return nil
}
