package modemtest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// command runs one AT command line; under m.mu.
func (l *line) command(cmd string) {
	if cmd == "" {
		return
	}
	l.m.logf("<- %q", cmd)
	up := strings.ToUpper(cmd)
	if !strings.HasPrefix(up, "AT") {
		l.final("ERROR")
		return
	}
	body := cmd[2:]
	name, arg := splitCommand(body)
	if needsPIN(name) && !l.pinOK {
		l.cmeError("11") // SIM PIN required
		return
	}
	switch name {
	case "":
		l.final("OK")
	case "Z":
		l.m.resets++
		l.echo, l.cmee, l.notify, l.mt, l.ds = true, 0, false, 0, 0
		l.final("OK")
	case "E0", "E1":
		l.echo = name == "E1"
		l.final("OK")
	case "+CMEE":
		l.setCMEE(arg)
	case "+CPIN":
		l.cpin(arg)
	case "+CMGF", "+CSMS", "+CNMI":
		l.settings(name, arg)
	case "+CIMI":
		l.info(l.m.cfg.IMSI)
		l.final("OK")
	case "+CNUM":
		if l.m.cfg.Number != "" {
			l.info(fmt.Sprintf(`+CNUM: "","%s",145`, l.m.cfg.Number))
		}
		l.final("OK")
	case "+CREG":
		l.info("+CREG: 0,1")
		l.final("OK")
	case "+CSQ":
		l.info("+CSQ: 21,99")
		l.final("OK")
	case "+CMGS":
		l.cmgs(arg)
	case "+CMGR", "+CMGD", "+CMGL":
		l.storageCommand(name, arg)
	case "+CNMA":
		l.cnma(arg)
	default:
		l.final("ERROR")
	}
}

// splitCommand cuts "+CPIN=\"1234\"" into "+CPIN" and "=\"1234\"".
func splitCommand(body string) (name, arg string) {
	if i := strings.IndexAny(body, "=?"); i >= 0 {
		return strings.ToUpper(body[:i]), body[i:]
	}
	return strings.ToUpper(body), ""
}

func needsPIN(name string) bool {
	switch name {
	case "+CMGS", "+CMGR", "+CMGD", "+CMGL", "+CNMA", "+CIMI", "+CNUM":
		return true
	}
	return false
}

func (l *line) setCMEE(arg string) {
	n, err := strconv.Atoi(strings.TrimPrefix(arg, "="))
	if err != nil || n < 0 || n > 2 {
		l.final("ERROR")
		return
	}
	l.cmee = n
	l.final("OK")
}

func (l *line) cpin(arg string) {
	if arg == "?" {
		switch {
		case l.pinOK:
			l.info("+CPIN: READY")
		case l.pinTries >= 3:
			l.info("+CPIN: SIM PUK")
		default:
			l.info("+CPIN: SIM PIN")
		}
		l.final("OK")
		return
	}
	l.m.pinAsks++
	pin := strings.Trim(strings.TrimPrefix(arg, "="), `"`)
	switch {
	case l.pinOK:
		l.cmeError("3") // operation not allowed
	case l.pinTries >= 3:
		l.cmeError("12") // SIM PUK required
	case pin != l.m.cfg.PIN:
		l.pinTries++
		l.cmeError("16") // incorrect password
	default:
		l.pinOK = true
		l.final("OK")
	}
}

func (l *line) settings(name, arg string) {
	switch {
	case name == "+CSMS" && arg == "=1":
		l.info("+CSMS: 1,1,1")
	case name == "+CNMI" && arg == "?":
		l.info(fmt.Sprintf("+CNMI: %d,%d,0,%d,0", boolInt(l.notify), l.mt, l.ds))
	case name == "+CNMI" && strings.HasPrefix(arg, "="):
		if !l.setCNMI(arg[1:]) {
			l.final("ERROR")
			return
		}
	case name == "+CMGF" && (arg == "=0" || arg == "=1"):
	default:
		l.final("ERROR")
		return
	}
	l.final("OK")
}

func (l *line) cmgs(arg string) {
	n, err := strconv.Atoi(strings.TrimPrefix(arg, "="))
	if err != nil || n < 7 || n > 175 {
		l.cmsError("304") // invalid PDU mode parameter
		return
	}
	l.pduLen = n
	l.write("\r\n> ")
}

func (l *line) storageCommand(name, arg string) {
	m := l.m
	if name == "+CMGL" {
		idx := make([]int, 0, len(m.storage))
		for i := range m.storage {
			idx = append(idx, i)
		}
		sort.Ints(idx)
		for _, i := range idx {
			l.info(fmt.Sprintf("+CMGL: %d,0,,%d", i, tpduLen(m.storage[i])), m.storage[i])
		}
		l.final("OK")
		return
	}
	i, err := strconv.Atoi(strings.TrimPrefix(arg, "="))
	pdu, ok := m.storage[i]
	if err != nil || !ok {
		l.cmsError("321") // invalid memory index
		return
	}
	if name == "+CMGR" {
		l.info(fmt.Sprintf("+CMGR: 0,,%d", tpduLen(pdu)), pdu)
	} else {
		delete(m.storage, i)
	}
	l.final("OK")
}
