package main

import (
	"fmt"
	"log/slog"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/transport/modem"
	"github.com/smsbridge/smsbridge/transport/simulator"
	"github.com/smsbridge/smsbridge/transport/smpp"
)

// buildLanes makes one dispatcher lane per [[transports]] entry. quota
// keeps the modem SIMs' send counts (the store); leases, when gateways
// share the SMSC accounts, hand out the accounts' binds (nil: all are
// this gateway's).
func buildLanes(cfg *configs.Config, log *slog.Logger, quota modem.Quota, leases smpp.BindLeases) ([]bridge.Lane, error) {
	var lanes []bridge.Lane
	for _, tc := range cfg.Transports {
		tlog := log.With("transport", tc.Name)
		switch tc.Type {
		case "simulator":
			sim := simulator.New(simulator.Config{Name: tc.Name, Delay: tc.DeliveryDelay.Duration, FailPrefixes: tc.FailPrefixes,
				LogText: cfg.SMS.LogText, Logger: log}) // the simulator names itself
			lanes = append(lanes, bridge.Lane{Transport: sim, Rate: tc.Rate, Slots: max(tc.Window, 1) * max(tc.Binds, 1)})
		case "smpp":
			t, err := smpp.New(smpp.Config{
				Name: tc.Name, Address: tc.Address, SystemID: tc.SystemID, Password: tc.Password, SystemType: tc.SystemType,
				Bind: tc.Bind, Source: tc.Source, Window: tc.Window, Binds: tc.Binds, Long: tc.Long,
				ReceiptIDFormat: tc.ReceiptIDFormat, EnquireLink: tc.EnquireLink.Duration, ResponseTimeout: tc.ResponseTimeout.Duration,
				GSM7Coding: tc.GSM7Coding, ASCIICoding: tc.ASCIICoding, InDoubtLimit: tc.InDoubtLimit.Duration,
				Leases: leases, Rate: tc.Rate,
				Logger: log, // smpp adds the transport's name
			})
			if err != nil {
				return nil, fmt.Errorf("transport %q: %w", tc.Name, err)
			}
			lanes = append(lanes, bridge.Lane{Transport: t, Rate: tc.Rate, Slots: max(tc.Window, 1) * max(tc.Binds, 1),
				InDoubtLimit: tc.InDoubtLimit.Duration, MaxInDoubtResends: tc.MaxInDoubtResends})
		case "modem":
			devices := tc.Devices
			if tc.Device != "" {
				devices = []string{tc.Device}
			}
			t, err := modem.New(modem.Config{
				Name: tc.Name, Devices: devices, Baud: tc.Baud, PIN: tc.PIN,
				DailyLimit: tc.DailyLimit, MonthlyLimit: tc.MonthlyLimit, SendInterval: tc.SendInterval.Duration,
				Quota: quota, Logger: tlog,
			})
			if err != nil {
				return nil, fmt.Errorf("transport %q: %w", tc.Name, err)
			}
			// One send at a time per modem; one more waits its turn.
			lanes = append(lanes, bridge.Lane{Transport: t, Rate: tc.Rate, Slots: 2 * len(devices), MaxInDoubtResends: tc.MaxInDoubtResends})
		default:
			return nil, fmt.Errorf("transport %q: type %q is not available in this build", tc.Name, tc.Type)
		}
	}
	return lanes, nil
}
