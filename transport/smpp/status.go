package smpp

import (
	"fmt"

	"github.com/smsbridge/smsbridge/transport"
	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

// permanentStatuses are the command statuses that say the same submit_sm
// will never be accepted. Anything else, including statuses we do not know,
// is temporary: losing a message is worse than retrying one.
var permanentStatuses = map[uint32]bool{
	0x01: true, // ESME_RINVMSGLEN
	0x02: true, // ESME_RINVCMDLEN
	0x03: true, // ESME_RINVCMDID
	0x06: true, // ESME_RINVPRTFLG
	0x07: true, // ESME_RINVREGDLVFLG
	0x0A: true, // ESME_RINVSRCADR
	0x0B: true, // ESME_RINVDSTADR
	0x15: true, // ESME_RINVSERTYP
	0x33: true, // ESME_RINVNUMDESTS
	0x40: true, // ESME_RINVDESTFLAG
	0x43: true, // ESME_RINVESMCLASS
	0x48: true, // ESME_RINVSRCTON
	0x49: true, // ESME_RINVSRCNPI
	0x50: true, // ESME_RINVDSTTON
	0x51: true, // ESME_RINVDSTNPI
	0x53: true, // ESME_RINVSYSTYP
	0x61: true, // ESME_RINVSCHED
	0x62: true, // ESME_RINVEXPIRY
	0x63: true, // ESME_RINVDFTMSGID
	0x65: true, // ESME_RX_P_APPN
	0x66: true, // ESME_RX_R_APPN
	0xC0: true, // ESME_RINVOPTPARSTREAM
	0xC1: true, // ESME_ROPTPARNOTALLWD
	0xC2: true, // ESME_RINVPARLEN
	0xC3: true, // ESME_RMISSINGOPTPARAM
	0xC4: true, // ESME_RINVOPTPARAMVAL
}

// IsPermanentStatus reports whether a submit_sm answered with status can
// never succeed as it is.
func IsPermanentStatus(status uint32) bool { return permanentStatuses[status] }

// statusError classifies a non-zero command status of a submit_sm_resp.
func statusError(status uint32) error {
	s := pdu.StatusString(status)
	err := fmt.Errorf("smpp: submit_sm refused: %s", s)
	if IsPermanentStatus(status) {
		return transport.Permanent(s, err)
	}
	return transport.Temporary(s, err)
}
