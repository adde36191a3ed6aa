package modem

import (
	"fmt"
	"log/slog"

	"go.bug.st/serial"
)

// openPort opens the serial device without a read timeout: with one, Read
// returns 0, nil on every timeout and the AT reader takes that as the end.
func openPort(dev string, baud int, log *slog.Logger) (serial.Port, error) {
	p, err := serial.Open(dev, &serial.Mode{BaudRate: baud})
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", dev, err)
	}
	// USB modems want DTR and RTS up; a pseudo-terminal has no such lines
	// and fails these, which must not keep it from working.
	if err := p.SetDTR(true); err != nil {
		log.Debug("DTR not set", "err", err)
	}
	if err := p.SetRTS(true); err != nil {
		log.Debug("RTS not set", "err", err)
	}
	return p, nil
}
