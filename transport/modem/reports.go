package modem

import (
	"strings"
	"sync"
	"time"

	"github.com/smsbridge/smsbridge/transport"
)

// maxPending bounds the sends awaiting a report per modem; the oldest go
// first (their reports are long overdue by then).
const maxPending = 4096

// pending maps a +CMGS reference and recipient to the id Send returned.
// References wrap at 256, so the number tells apart sends that share one.
type pending struct {
	mu    sync.Mutex
	byRef map[int][]pendingSend
	n     int
}

type pendingSend struct {
	to string // digits only
	id string
	at time.Time
}

func newPending() *pending { return &pending{byRef: map[int][]pendingSend{}} }

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// sameNumber compares numbers as networks write them back: the report may
// give a national form of the international number we sent to.
func sameNumber(a, b string) bool {
	if a == b {
		return true
	}
	const tail = 8
	return len(a) >= tail && len(b) >= tail && a[len(a)-tail:] == b[len(b)-tail:]
}

func (p *pending) add(mr int, to, id string, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	to = digits(to)
	list := p.byRef[mr]
	for i, e := range list {
		if e.to == to { // the reference came round again to the same number
			list[i] = pendingSend{to: to, id: id, at: now}
			return
		}
	}
	p.byRef[mr] = append(list, pendingSend{to: to, id: id, at: now})
	p.n++
	if p.n > maxPending {
		p.dropOldest()
	}
}

func (p *pending) dropOldest() {
	var oldRef, oldIdx = -1, -1
	var oldAt time.Time
	for ref, list := range p.byRef {
		for i, e := range list {
			if oldRef < 0 || e.at.Before(oldAt) {
				oldRef, oldIdx, oldAt = ref, i, e.at
			}
		}
	}
	if oldRef >= 0 {
		p.removeAt(oldRef, oldIdx)
	}
}

func (p *pending) removeAt(mr, i int) {
	list := p.byRef[mr]
	list = append(list[:i], list[i+1:]...)
	if len(list) == 0 {
		delete(p.byRef, mr)
	} else {
		p.byRef[mr] = list
	}
	p.n--
}

// match finds the send a report is for; a final report forgets it.
func (p *pending) match(mr int, to string, final bool) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	to = digits(to)
	for i, e := range p.byRef[mr] {
		if sameNumber(e.to, to) {
			if final {
				p.removeAt(mr, i)
			}
			return e.id, true
		}
	}
	return "", false
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
