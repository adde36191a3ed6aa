package modem

import (
	"strconv"
	"strings"

	"github.com/smsbridge/smsbridge/transport"
)

// reportID is the id of a send that status reports can name: the SIM, the
// message reference and the last eight digits of the recipient, which a
// report carries back (in national or international form, as the network
// writes it). Built the same from a report after a restart, it lets the
// store match reports for sends made before it. A reference comes round
// again after 256 sends; the store then maps the id to the newer part.
func reportID(sim string, mr int, to string) string {
	d := digits(to)
	if len(d) > 8 {
		d = d[len(d)-8:]
	}
	return sim + ":" + strconv.Itoa(mr) + ":" + d
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// reportState maps TP-ST (3GPP TS 23.040 §9.2.3.15) to a receipt state.
func reportState(st byte) transport.ReceiptState {
	switch {
	case st == 0x00 || st == 0x02: // received by the phone; replaced
		return transport.StateDelivered
	case st == 0x01: // forwarded, delivery unconfirmed
		return transport.StateAccepted
	case st >= 0x20 && st <= 0x3f: // temporary error, the centre keeps trying
		return transport.StateEnroute
	case st == 0x46: // validity period expired
		return transport.StateExpired
	case st == 0x47 || st == 0x48: // deleted by the sender or the centre
		return transport.StateDeleted
	case st == 0x41 || st == 0x42 || st == 0x43: // refused by the phone or network
		return transport.StateRejected
	case st >= 0x40 && st <= 0x7f: // permanent, or temporary given up
		return transport.StateUndeliverable
	}
	return transport.StateUnknown
}
