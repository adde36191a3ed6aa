// Package smpp is a transport.Transport over SMPP 3.4: it binds to an SMSC
// (several binds if asked), keeps the links alive, submits parts within a
// window per bind, classifies command statuses and turns deliver_sm into
// receipts and inbound SMS. The PDU codec is our own (internal/pdu) so the
// session loop controls sequence numbers, windows and receipts exactly.
package smpp

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"
)

// Config describes one SMPP transport.
type Config struct {
	Name, Address, SystemID, Password, SystemType string

	Bind            string // "transmitter" | "transceiver" | "transmitter+receiver"
	Source          string // default source address
	Window          int    // submits in flight per bind
	Binds           int    // parallel binds
	Long            string // "udh" | "sar" | "payload"
	ReceiptIDFormat string // "auto" | "hex" | "dec"
	// GSM7Coding is how data_coding 0 carries GSM-7: "unpacked" (one
	// septet per octet) or "packed" (7-bit packed, as on the air).
	GSM7Coding string
	// ASCIICoding is how parts in sms.ASCII travel: "gsm7" (data_coding 0,
	// as GSM7Coding says), "ia5" (1) or "latin1" (3), both as ASCII octets.
	ASCIICoding     string
	EnquireLink     time.Duration
	ResponseTimeout time.Duration
	// InDoubtLimit is how long a submit unanswered after ResponseTimeout
	// is waited for while its bind is up, before Send gives up on it with
	// an in-doubt error (its answer, should it come later, still counts).
	InDoubtLimit time.Duration
	Logger       *slog.Logger

	// Leases, when set, shares the account's Binds with other gateways:
	// each bind is open only while this gateway holds its lease, and
	// submits at most Rate / Binds a second (Rate is the account's, 0 no
	// limit). Without Leases, Rate is not used here.
	Leases BindLeases
	Rate   float64
}

// Defaults applied by New to zero fields.
const (
	DefaultWindow          = 10
	DefaultEnquireLink     = 30 * time.Second
	DefaultResponseTimeout = 10 * time.Second
	DefaultInDoubtLimit    = 5 * time.Minute
)

func (c *Config) setDefaults() {
	if c.Name == "" {
		c.Name = "smpp"
	}
	if c.Bind == "" {
		c.Bind = "transceiver"
	}
	if c.Window <= 0 {
		c.Window = DefaultWindow
	}
	if c.Binds <= 0 {
		c.Binds = 1
	}
	if c.Long == "" {
		c.Long = "udh"
	}
	if c.ReceiptIDFormat == "" {
		c.ReceiptIDFormat = "auto"
	}
	if c.GSM7Coding == "" {
		c.GSM7Coding = "unpacked"
	}
	if c.ASCIICoding == "" {
		c.ASCIICoding = "gsm7"
	}
	if c.EnquireLink <= 0 {
		c.EnquireLink = DefaultEnquireLink
	}
	if c.ResponseTimeout <= 0 {
		c.ResponseTimeout = DefaultResponseTimeout
	}
	if c.InDoubtLimit <= 0 {
		c.InDoubtLimit = max(DefaultInDoubtLimit, c.ResponseTimeout)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// ErrConfig marks a configuration that no retry can mend.
var ErrConfig = errors.New("smpp: bad configuration")

func (c *Config) validate() error {
	var errs []error
	if c.Address == "" {
		errs = append(errs, errors.New("address is empty"))
	}
	if len(c.SystemID) > 15 {
		errs = append(errs, errors.New("system_id longer than 15 characters"))
	}
	if len(c.Password) > 8 {
		errs = append(errs, errors.New("password longer than 8 characters"))
	}
	if len(c.SystemType) > 12 {
		errs = append(errs, errors.New("system_type longer than 12 characters"))
	}
	if _, err := bindKinds(c.Bind); err != nil {
		errs = append(errs, err)
	}
	switch c.Long {
	case "udh", "sar", "payload":
	default:
		errs = append(errs, fmt.Errorf("long = %q: want udh, sar or payload", c.Long))
	}
	switch c.ReceiptIDFormat {
	case "auto", "hex", "dec":
	default:
		errs = append(errs, fmt.Errorf("receipt_id_format = %q: want auto, hex or dec", c.ReceiptIDFormat))
	}
	if !slices.Contains([]string{"unpacked", "packed"}, c.GSM7Coding) {
		errs = append(errs, fmt.Errorf("gsm7_coding = %q: want unpacked or packed", c.GSM7Coding))
	}
	if !slices.Contains([]string{"gsm7", "ia5", "latin1"}, c.ASCIICoding) {
		errs = append(errs, fmt.Errorf("ascii_coding = %q: want gsm7, ia5 or latin1", c.ASCIICoding))
	}
	if c.Rate < 0 {
		errs = append(errs, fmt.Errorf("rate %g is negative", c.Rate))
	}
	if c.InDoubtLimit < c.ResponseTimeout {
		errs = append(errs, fmt.Errorf("in_doubt_limit %s is shorter than response_timeout %s", c.InDoubtLimit, c.ResponseTimeout))
	}
	if c.Source != "" {
		if _, _, _, err := sourceAddr(c.Source); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: transport %q: %w", ErrConfig, c.Name, err)
	}
	return nil
}

// bindKind is the kind of one SMPP bind.
type bindKind uint8

const (
	transmitter bindKind = iota
	receiver
	transceiver
)

func (k bindKind) String() string {
	return [...]string{"transmitter", "receiver", "transceiver"}[k]
}

func (k bindKind) canSubmit() bool  { return k != receiver }
func (k bindKind) canReceive() bool { return k != transmitter }

// bindKinds lists the binds one configured "bind" opens.
func bindKinds(s string) ([]bindKind, error) {
	switch s {
	case "transmitter":
		return []bindKind{transmitter}, nil
	case "transceiver":
		return []bindKind{transceiver}, nil
	case "transmitter+receiver":
		return []bindKind{transmitter, receiver}, nil
	}
	return nil, fmt.Errorf("bind = %q: want transmitter, transceiver or transmitter+receiver", s)
}
