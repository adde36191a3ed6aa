package smppserver

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/store"
	"github.com/smsbridge/smsbridge/transport"
	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

// An SMS from a phone to a number an ESME has (Options.Inbox) is a
// callback of that ESME, like its receipts: stored before the network's
// SMS is let go, sent as deliver_sm while the ESME is bound as receiver or
// transceiver, and removed only on a deliver_sm_resp with ESME_ROK; sent
// again every receiptRetry until then, across restarts.

const (
	moKind        = "mo" // a callback's "k" for an SMS from a phone
	tonAlnum      = 5
	npiISDN       = 1
	maxShortOctet = 254 // longer text goes in message_payload
)

// TakeInbound queues in for the ESME its number belongs to; from is its
// sender as the gateway normalised it. It reports false, storing nothing,
// for a number no ESME has. When it returns true with a nil error the SMS
// is on disk.
func (s *Server) TakeInbound(ctx context.Context, from string, in transport.Inbound) (bool, error) {
	if s.opt.Inbox == nil {
		return false, nil
	}
	esme, ok := s.opt.Inbox(in.To)
	if !ok {
		return false, nil
	}
	received := in.Received
	if received.IsZero() {
		received = time.Now()
	}
	v := url.Values{"k": {moKind}, "src": {from}, "dst": {in.To}, "t": {in.Text}}
	cb := store.Callback{ID: store.NewID(), Owner: watchOwner + ":" + esme, Data: []byte(v.Encode()), Created: received}
	if err := s.opt.Store.QueueCallbacks(context.WithoutCancel(ctx), []store.Callback{cb}); err != nil {
		return true, fmt.Errorf("queuing an SMS from a phone for ESME %s: %w", esme, err)
	}
	s.log.Info("SMS from a phone queued for an ESME", "system_id", esme, "from", from, "to", in.To, "id", cb.ID)
	s.Kick()
	return true, nil
}

// moSM is the deliver_sm of a queued SMS from a phone: GSM 7-bit (one
// septet an octet, as submit_sm is read) when its text allows, else UCS-2;
// in message_payload when longer than short_message holds.
func moSM(v url.Values) pdu.SM {
	text := v.Get("t")
	sm := pdu.SM{Source: v.Get("src"), Dest: v.Get("dst")}
	sm.SourceTON, sm.SourceNPI, sm.Source = address(sm.Source)
	sm.DestTON, sm.DestNPI, sm.Dest = address(sm.Dest)
	body, err := sms.EncodeGSM7(text)
	if err != nil {
		sm.DataCoding, body = codingUCS2, sms.EncodeUCS2(text)
	}
	if len(body) > maxShortOctet {
		sm.TLVs = []pdu.TLV{{Tag: pdu.TagMessagePayload, Value: body}}
	} else {
		sm.ShortMessage = body
	}
	return sm
}

// address is an address's TON, NPI and digits: "+digits" international,
// other digits unknown, anything else alphanumeric.
func address(a string) (ton, npi byte, addr string) {
	digits := strings.TrimPrefix(a, "+")
	switch {
	case digits != "" && strings.Trim(digits, "0123456789") == "" && digits != a:
		return tonInternational, npiISDN, digits
	case a != "" && strings.Trim(a, "0123456789") == "":
		return 0, npiISDN, a
	case a == "":
		return 0, 0, ""
	}
	return tonAlnum, 0, a
}
