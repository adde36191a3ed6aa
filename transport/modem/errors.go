package modem

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/warthog618/modem/at"

	"github.com/smsbridge/smsbridge/transport"
)

var (
	errDown      = errors.New("no modem of this transport is up")
	errExhausted = errors.New("every SIM of this transport is at its daily or monthly limit")
	errPinned    = errors.New("waiting for the modem that sent the other parts of this message")
	errLost      = errors.New("modem link lost")
)

// permanentCMS are the +CMS ERROR codes (3GPP TS 27.005 §3.2.5, with the
// TP-FCS values of TS 23.040) that say this SMS can never go out as it is:
// a bad or barred destination, or a PDU the network refuses. Every other
// code (network trouble, congestion, SIM or modem state) is worth a retry.
var permanentCMS = map[int]string{
	1: "unassigned number", 8: "operator determined barring", 10: "call barred",
	21: "short message transfer rejected", 28: "unidentified subscriber",
	29: "facility rejected", 30: "unknown subscriber", 50: "facility not subscribed",
	69: "facility not implemented", 95: "invalid message", 96: "invalid mandatory information",
	97:  "message type non-existent",
	128: "telematic interworking not supported", 144: "short message type 0 not supported",
	160: "data coding scheme not supported", 176: "TPDU not supported",
	193: "no SC subscription", 195: "invalid SME address", 196: "destination SME barred",
	197: "SM rejected: duplicate", 198: "TP-VPF not supported", 199: "TP-VP not supported",
	304: "invalid PDU mode parameter", 305: "invalid text mode parameter",
}

// classify turns an AT error from a send into the dispatcher's terms. A
// timeout or a lost link leaves the send in doubt: the network may have
// taken it.
func classify(err error) error {
	var cms at.CMSError
	var cme at.CMEError
	switch {
	case errors.Is(err, at.ErrDeadlineExceeded), errors.Is(err, at.ErrClosed), errors.Is(err, errLost):
		return &transport.Error{Temporary: true, InDoubt: true, Err: err}
	case errors.As(err, &cms):
		status := "+CMS ERROR: " + string(cms)
		if n, convErr := strconv.Atoi(string(cms)); convErr == nil && isPermanentCMS(n) {
			return transport.Permanent(status, fmt.Errorf("%s: %w", cmsReason(n), err))
		}
		return transport.Temporary(status, err)
	case errors.As(err, &cme):
		// +CME errors are the modem's or the SIM's state, not the message's.
		return transport.Temporary("+CME ERROR: "+string(cme), err)
	}
	return transport.Temporary("", err)
}

func isPermanentCMS(n int) bool {
	if _, ok := permanentCMS[n]; ok {
		return true
	}
	// Whole ranges of TP-FCS: telematic interworking (128-143) and data
	// coding (160-175) problems.
	return (n >= 128 && n <= 143) || (n >= 160 && n <= 175)
}

func cmsReason(n int) string {
	if r, ok := permanentCMS[n]; ok {
		return r
	}
	return "refused by the network"
}
