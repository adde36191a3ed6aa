package modemtest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// awaitedAck is a +CMT or +CDS the gateway has to acknowledge before the
// modem sends the next one (3GPP TS 27.005 §3.4.1, with +CSMS=1).
type awaitedAck struct {
	u     urc
	timer *time.Timer
}

// urcLocked sends u now if the link is idle and notifications are on,
// else keeps it until they are.
func (m *Modem) urcLocked(u urc) {
	m.queued = append(m.queued, u)
	if l := m.line; l != nil {
		l.flushURCs()
	}
}

// flushURCs lets waiting unsolicited lines out as +CNMI routes them:
// notices at once; a message to acknowledge only while no other is
// awaited; a message whose indication is off into SIM storage, unannounced
// (or announced with +CMTI for <mt>=1).
func (l *line) flushURCs() {
	m := l.m
	if !l.notify || l.pduLen > 0 || l.dead {
		return
	}
	var rest []urc
	for _, u := range m.queued {
		switch {
		case u.pdu == "":
			l.write("\r\n" + u.head + "\r\n")
		case !u.report && l.mt == 1:
			l.write(fmt.Sprintf("\r\n+CMTI: \"SM\",%d\r\n", m.storeLocked(u.pdu)))
		case (u.report && l.ds != 1) || (!u.report && l.mt != 2):
			m.storeLocked(u.pdu)
		case m.awaiting != nil:
			rest = append(rest, u)
		default:
			l.write("\r\n" + u.head + "\r\n" + u.pdu + "\r\n")
			m.awaitLocked(u)
		}
	}
	m.queued = rest
	m.notifyLocked()
}

func (m *Modem) awaitLocked(u urc) {
	a := &awaitedAck{u: u}
	a.timer = time.AfterFunc(m.cfg.AckTimeout, func() { m.ackTimedOut(a) })
	m.awaiting = a
}

// ackTimedOut is the network's timer running out on an unacknowledged
// message: the modem refuses it to the network, which sends it again
// later, and turns indications off, so that it and everything after it
// land on the SIM with no word to the gateway.
func (m *Modem) ackTimedOut(a *awaitedAck) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.awaiting != a {
		return
	}
	m.awaiting = nil
	m.timeouts++
	m.logf("no +CNMA within %v: indications off", m.cfg.AckTimeout)
	m.storeLocked(a.u.pdu)
	if l := m.line; l != nil {
		l.mt, l.ds = 0, 0
		l.flushURCs()
	}
	m.notifyLocked()
}

// cnma takes +CNMA (or +CNMA=0/1): the awaited message is delivered; or
// +CNMA=2: refused for now, so the network sends it again.
func (l *line) cnma(arg string) {
	m := l.m
	refuse := arg == "=2"
	if arg != "" && arg != "=0" && arg != "=1" && !refuse {
		l.final("ERROR")
		return
	}
	a := m.awaiting
	if a == nil {
		l.cmsError("340") // no +CNMA acknowledgement expected
		return
	}
	a.timer.Stop()
	m.awaiting = nil
	if refuse {
		m.nacks++
		time.AfterFunc(m.cfg.RedeliverDelay, func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.urcLocked(a.u)
		})
	} else {
		m.acks++
	}
	l.final("OK")
}

// setCNMI takes +CNMI=<mode>,<mt>,<bm>,<ds>,<bfr>; fields left out keep 0.
func (l *line) setCNMI(args string) bool {
	var f [5]int
	for i, s := range strings.Split(args, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if i >= len(f) || (s != "" && err != nil) {
			return false
		}
		f[i] = n
	}
	if f[1] < 0 || f[1] > 3 || f[3] < 0 || f[3] > 2 {
		return false
	}
	l.notify, l.mt, l.ds = true, f[1], f[3]
	return true
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// storeLocked puts a PDU into the first free SIM storage index.
func (m *Modem) storeLocked(h string) int {
	idx := 1
	for m.storage[idx] != "" {
		idx++
	}
	m.storage[idx] = h
	m.notifyLocked()
	return idx
}
