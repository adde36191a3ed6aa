package sms

import (
	"fmt"
	"strings"
)

// Mode is the alphabet the configuration asks for.
type Mode uint8

const (
	ModeGSM7  Mode = iota // GSM 03.38; what it lacks is transliterated
	ModeASCII             // printable 7-bit ASCII only, carried as GSM-7
	ModeUCS2              // UCS-2 always; text kept as written
	ModeAuto              // GSM-7 when the text fits it, else UCS-2
)

var modeNames = [...]string{"gsm7", "ascii", "ucs2", "auto"}

func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", m)
}

// ParseMode reads a configuration value: "gsm7", "ascii", "ucs2" or "auto",
// in any case.
func ParseMode(s string) (Mode, error) {
	i, err := parseName(s, modeNames[:])
	if err != nil {
		return 0, fmt.Errorf("sms: encoding: %w", err)
	}
	return Mode(i), nil
}

// SplitMode is how text longer than one SMS is sent.
type SplitMode uint8

const (
	SplitUDH   SplitMode = iota // concatenated parts the phone reassembles
	SplitPlain                  // separate standalone messages
)

var splitNames = [...]string{"udh", "plain"}

func (m SplitMode) String() string {
	if int(m) < len(splitNames) {
		return splitNames[m]
	}
	return fmt.Sprintf("SplitMode(%d)", m)
}

// ParseSplitMode reads a configuration value: "udh" or "plain", in any case.
func ParseSplitMode(s string) (SplitMode, error) {
	i, err := parseName(s, splitNames[:])
	if err != nil {
		return 0, fmt.Errorf("sms: split: %w", err)
	}
	return SplitMode(i), nil
}

func parseName(s string, names []string) (int, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	for i, n := range names {
		if v == n {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown value %q (want one of %s)", s, strings.Join(names, ", "))
}
