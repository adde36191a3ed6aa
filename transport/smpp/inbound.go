package smpp

import (
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/smsbridge/smsbridge/sms"
	"github.com/smsbridge/smsbridge/transport"
	"github.com/smsbridge/smsbridge/transport/smpp/internal/pdu"
)

// inboundTimeout is how long the parts of a concatenated SMS may take to
// arrive; after it, what came is handed on.
const inboundTimeout = 2 * time.Minute

// maxPendingSets bounds memory held by incomplete concatenated SMS.
const maxPendingSets = 10000

// decodeText turns a short message into text by its data coding.
func decodeText(dc byte, b []byte) string {
	switch {
	case isGSM7(dc):
		return sms.DecodeGSM7(b)
	case dc == dcUCS2:
		return sms.DecodeUCS2(b)
	case dc == dcLatin1:
		return latin1(b)
	case dc == dcIA5 && utf8.Valid(b):
		return string(b)
	case dc == dcIA5:
		return latin1(b)
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return latin1(b)
}

// isGSM7 reports whether data coding dc means the GSM-7 default alphabet.
func isGSM7(dc byte) bool {
	return dc == dcDefault || (dc&0xF0 == 0xF0 && dc&0x04 == 0)
}

// unpackAfter reads the packed septets that follow a header of hdr octets
// in user data ud, starting on the septet boundary after the header.
func unpackAfter(ud []byte, hdr int) []byte {
	n := len(ud) * 8 / 7
	lead := (hdr*8 + 6) / 7
	if lead >= n {
		return []byte{}
	}
	septets := sms.UnpackSeptets(ud, n)[lead:]
	// With seven spare bits in the last octet, the last septet read is
	// padding: CR as TS 23.038 asks, or zeros.
	if len(ud)%7 == 0 && len(septets) > 0 {
		if last := septets[len(septets)-1]; last == gsmCR || last == 0 {
			septets = septets[:len(septets)-1]
		}
	}
	return septets
}

func latin1(b []byte) string {
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = rune(c)
	}
	return string(rs)
}

// fromAddr writes an international number in E.164.
func fromAddr(ton byte, addr string) string {
	if ton == tonInternational && allDigits(addr) {
		return "+" + addr
	}
	return addr
}

type setKey struct {
	from, to string
	ref      uint16
	total    int
}

type pendingSet struct {
	parts map[int]inPart
	first time.Time
}

type inPart struct {
	dc   byte
	data []byte
}

// reassembler joins the parts of concatenated inbound SMS.
type reassembler struct {
	timeout time.Duration
	packed  bool // data_coding 0 carries packed septets
	mu      sync.Mutex
	sets    map[setKey]*pendingSet
}

func newReassembler(timeout time.Duration) *reassembler {
	return &reassembler{timeout: timeout, sets: make(map[setKey]*pendingSet)}
}

// add takes one deliver_sm; it returns the inbound SMS once it is whole.
func (r *reassembler) add(sm *pdu.SM, now time.Time) (transport.Inbound, bool) {
	data := sm.ShortMessage
	if v, ok := sm.TLV(pdu.TagMessagePayload); ok && len(data) == 0 {
		data = v
	}
	c, isConcat := pdu.SARConcat(sm)
	full := data
	if sm.ESMClass&esmUDHI != 0 {
		uc, ok, rest, _ := pdu.ParseUDH(data)
		data = rest
		if ok && !isConcat {
			c, isConcat = uc, true
		}
	}
	if r.packed && isGSM7(sm.DataCoding) {
		data = unpackAfter(full, len(full)-len(data))
	}
	in := transport.Inbound{From: fromAddr(sm.SourceTON, sm.Source), To: fromAddr(sm.DestTON, sm.Dest), Received: now}
	if !isConcat || c.Total == 1 {
		in.Text = decodeText(sm.DataCoding, data)
		return in, true
	}
	return r.addPart(in, c, inPart{dc: sm.DataCoding, data: data})
}

func (r *reassembler) addPart(in transport.Inbound, c pdu.Concat, p inPart) (transport.Inbound, bool) {
	k := setKey{from: in.From, to: in.To, ref: c.Ref, total: c.Total}
	r.mu.Lock()
	defer r.mu.Unlock()
	set := r.sets[k]
	if set == nil {
		if len(r.sets) >= maxPendingSets {
			// Memory bound reached: hand the part on alone rather than grow.
			in.Text = decodeText(p.dc, p.data)
			return in, true
		}
		set = &pendingSet{parts: make(map[int]inPart, c.Total), first: in.Received}
		r.sets[k] = set
	}
	set.parts[c.Seq] = p
	if len(set.parts) < c.Total {
		return transport.Inbound{}, false
	}
	delete(r.sets, k)
	in.Text = joinParts(set.parts)
	return in, true
}

// expire removes the sets older than the timeout and returns what they hold.
func (r *reassembler) expire(now time.Time) []transport.Inbound {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []transport.Inbound
	for k, set := range r.sets {
		if now.Sub(set.first) < r.timeout {
			continue
		}
		delete(r.sets, k)
		out = append(out, transport.Inbound{From: k.from, To: k.to, Received: set.first, Text: joinParts(set.parts)})
	}
	return out
}

// joinParts decodes the parts in order. Parts sharing one data coding are
// joined before decoding, so a UCS-2 surrogate pair cut across parts is kept.
func joinParts(parts map[int]inPart) string {
	seqs := make([]int, 0, len(parts))
	for s := range parts {
		seqs = append(seqs, s)
	}
	sort.Ints(seqs)
	same := true
	var all []byte
	for _, s := range seqs {
		same = same && parts[s].dc == parts[seqs[0]].dc
		all = append(all, parts[s].data...)
	}
	if same && len(seqs) > 0 {
		return decodeText(parts[seqs[0]].dc, all)
	}
	var b strings.Builder
	for _, s := range seqs {
		b.WriteString(decodeText(parts[s].dc, parts[s].data))
	}
	return b.String()
}
