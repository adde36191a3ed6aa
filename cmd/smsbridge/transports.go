package main

import (
	"fmt"
	"log/slog"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/configs"
	"github.com/smsbridge/smsbridge/transport/simulator"
	"github.com/smsbridge/smsbridge/transport/smpp"
)

// buildLanes makes one dispatcher lane per [[transports]] entry.
func buildLanes(cfg *configs.Config, log *slog.Logger) ([]bridge.Lane, error) {
	var lanes []bridge.Lane
	for _, tc := range cfg.Transports {
		tlog := log.With("transport", tc.Name)
		switch tc.Type {
		case "simulator":
			sim := simulator.New(simulator.Config{Name: tc.Name, Delay: tc.DeliveryDelay.Duration, FailPrefixes: tc.FailPrefixes, Logger: tlog})
			lanes = append(lanes, bridge.Lane{Transport: sim, Rate: tc.Rate, Slots: max(tc.Window, 1) * max(tc.Binds, 1)})
		case "smpp":
			t, err := smpp.New(smpp.Config{
				Name: tc.Name, Address: tc.Address, SystemID: tc.SystemID, Password: tc.Password, SystemType: tc.SystemType,
				Bind: tc.Bind, Source: tc.Source, Window: tc.Window, Binds: tc.Binds, Long: tc.Long,
				ReceiptIDFormat: tc.ReceiptIDFormat, EnquireLink: tc.EnquireLink.Duration, ResponseTimeout: tc.ResponseTimeout.Duration,
				Logger: tlog,
			})
			if err != nil {
				return nil, fmt.Errorf("transport %q: %w", tc.Name, err)
			}
			lanes = append(lanes, bridge.Lane{Transport: t, Rate: tc.Rate, Slots: max(tc.Window, 1) * max(tc.Binds, 1)})
		default:
			return nil, fmt.Errorf("transport %q: type %q is not available in this build", tc.Name, tc.Type)
		}
	}
	return lanes, nil
}
