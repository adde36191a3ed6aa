package modemtest

import (
	"bytes"
	"strings"
)

const (
	ctrlZ = 0x1a
	esc   = 0x1b
)

// line is the modem as connected over one pty: its settings last until the
// next unplug, as a real modem's do until it is power-cycled.
type line struct {
	m    *Modem
	p    *pty
	done chan struct{}

	// settings; guarded by m.mu like the rest
	echo     bool
	cmee     int
	pinOK    bool
	pinTries int
	notify   bool // +CNMI set: unsolicited lines may be sent
	mt, ds   int  // +CNMI's <mt> (2: +CMT) and <ds> (1: +CDS); 0 stores on the SIM
	buf      []byte
	pduLen   int  // >0 while taking a +CMGS PDU
	dead     bool // hung up by a scripted fault
}

func newLine(m *Modem, p *pty) *line {
	return &line{m: m, p: p, done: make(chan struct{}), echo: true, pinOK: m.cfg.PIN == ""}
}

func (l *line) run() {
	defer close(l.done)
	b := make([]byte, 512)
	for {
		n, err := l.p.master.Read(b)
		if err != nil {
			return
		}
		l.m.mu.Lock()
		l.input(b[:n])
		dead := l.dead
		l.m.mu.Unlock()
		if dead {
			return
		}
	}
}

// input handles bytes from the gateway; under m.mu.
func (l *line) input(b []byte) {
	for _, c := range b {
		if l.dead {
			return
		}
		if l.echo {
			_, _ = l.p.master.Write([]byte{c})
		}
		if l.pduLen > 0 {
			l.pduByte(c)
			continue
		}
		switch c {
		case esc:
			l.buf = l.buf[:0]
		case '\r':
			cmd := strings.TrimSpace(string(l.buf))
			l.buf = l.buf[:0]
			l.command(cmd)
		case '\n':
			// terminals send CR LF; the LF ends nothing
		default:
			l.buf = append(l.buf, c)
		}
	}
}

// pduByte takes one byte of the PDU after the "> " prompt.
func (l *line) pduByte(c byte) {
	switch c {
	case esc:
		l.buf, l.pduLen = l.buf[:0], 0
		l.final("OK")
	case ctrlZ:
		hexPDU := string(bytes.TrimSpace(l.buf))
		n := l.pduLen
		l.buf, l.pduLen = l.buf[:0], 0
		l.submit(hexPDU, n)
	default:
		l.buf = append(l.buf, c)
	}
}

func (l *line) write(s string) {
	l.m.logf("-> %q", s)
	_, _ = l.p.master.Write([]byte(s))
}

// final ends a command with its result, then lets waiting unsolicited lines
// out.
func (l *line) final(s string) {
	l.write("\r\n" + s + "\r\n")
	l.m.notifyLocked()
	l.flushURCs()
}

func (l *line) info(lines ...string) {
	for _, s := range lines {
		l.write("\r\n" + s)
	}
	if len(lines) > 0 {
		l.write("\r\n")
	}
}

// cmsError and cmeError answer as +CMEE asks: numeric, or a bare ERROR.
func (l *line) cmsError(code string) { l.errorLine("+CMS ERROR: " + code) }
func (l *line) cmeError(code string) { l.errorLine("+CME ERROR: " + code) }

func (l *line) errorLine(s string) {
	if l.cmee == 0 {
		s = "ERROR"
	}
	l.final(s)
}

// hangUp simulates the modem vanishing in the middle of things.
func (l *line) hangUp() {
	l.dead = true
	if l.m.line == l {
		l.m.line = nil
	}
	l.p.close()
	l.m.notifyLocked()
}
