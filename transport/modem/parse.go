package modem

import (
	"fmt"
	"strconv"
	"strings"
)

// Parsers of the modem's answer lines. They take whatever the modem (or a
// line garbled on the way) gives and never panic.

// field returns the comma-separated values after "PREFIX:" in line.
func fields(line, prefix string) ([]string, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), prefix)
	if !ok {
		return nil, false
	}
	parts := strings.Split(strings.TrimSpace(rest), ",")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"`)
	}
	return parts, true
}

// parseCMGS finds the message reference in the answer to +CMGS. Other lines
// may be mixed in (an unsolicited one arriving during the command).
func parseCMGS(info []string) (int, error) {
	for _, l := range info {
		if f, ok := fields(l, "+CMGS:"); ok {
			mr, err := strconv.Atoi(f[0])
			if err != nil || mr < 0 || mr > 255 {
				return 0, fmt.Errorf("bad +CMGS reference in %q", l)
			}
			return mr, nil
		}
	}
	return 0, fmt.Errorf("no +CMGS line in the answer %q", info)
}

// parseCMTI reads `+CMTI: "SM",3`: where a message was stored.
func parseCMTI(line string) (mem string, index int, err error) {
	f, ok := fields(line, "+CMTI:")
	if !ok || len(f) != 2 {
		return "", 0, fmt.Errorf("bad +CMTI line %q", line)
	}
	index, err = strconv.Atoi(f[1])
	if err != nil || index < 0 {
		return "", 0, fmt.Errorf("bad +CMTI index in %q", line)
	}
	return f[0], index, nil
}

// stored is one message listed by +CMGR or +CMGL.
type stored struct {
	index int // -1 for +CMGR, which names no index
	pdu   string
}

// parseListing reads the answer to +CMGR (prefix "+CMGR:") or +CMGL
// ("+CMGL:"): each header line is followed by its PDU line.
func parseListing(info []string, prefix string) ([]stored, error) {
	var out []stored
	for i := 0; i < len(info); i++ {
		f, ok := fields(info[i], prefix)
		if !ok {
			continue // an unsolicited line that slipped in
		}
		if i+1 >= len(info) {
			return out, fmt.Errorf("%s line without a PDU", prefix)
		}
		s := stored{index: -1, pdu: strings.TrimSpace(info[i+1])}
		if prefix == "+CMGL:" {
			n, err := strconv.Atoi(f[0])
			if err != nil || n < 0 {
				return out, fmt.Errorf("bad index in %q", info[i])
			}
			s.index = n
		}
		out = append(out, s)
		i++
	}
	return out, nil
}

// parseCSQ reads `+CSQ: 21,99`: the signal as RSSI 0-31, 99 for unknown.
func parseCSQ(info []string) (int, error) {
	for _, l := range info {
		if f, ok := fields(l, "+CSQ:"); ok {
			n, err := strconv.Atoi(f[0])
			if err != nil || n < 0 || (n > 31 && n != 99) {
				return 0, fmt.Errorf("bad +CSQ line %q", l)
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("no +CSQ line in %q", info)
}

// dBm converts a +CSQ RSSI to dBm; ok is false for "unknown".
func dBm(rssi int) (int, bool) {
	if rssi < 0 || rssi > 31 {
		return 0, false
	}
	return -113 + 2*rssi, true
}

var regStates = map[string]string{
	"0": "not registered", "1": "home", "2": "searching", "3": "denied", "4": "unknown", "5": "roaming",
}

// parseCREG reads `+CREG: 0,1` (or the unsolicited form `+CREG: 1`).
func parseCREG(info []string) (string, error) {
	for _, l := range info {
		if f, ok := fields(l, "+CREG:"); ok {
			stat := f[0]
			if len(f) >= 2 {
				stat = f[1]
			}
			if s, ok := regStates[stat]; ok {
				return s, nil
			}
			return "", fmt.Errorf("bad +CREG line %q", l)
		}
	}
	return "", fmt.Errorf("no +CREG line in %q", info)
}

// parseCPIN reads `+CPIN: READY` or `+CPIN: SIM PIN`.
func parseCPIN(info []string) (string, error) {
	for _, l := range info {
		if f, ok := fields(l, "+CPIN:"); ok {
			return strings.Join(f, ","), nil
		}
	}
	return "", fmt.Errorf("no +CPIN line in %q", info)
}

// parseCNUM reads the first number of `+CNUM: "","+447700900123",145`.
func parseCNUM(info []string) string {
	for _, l := range info {
		if f, ok := fields(l, "+CNUM:"); ok && len(f) >= 2 {
			return f[1]
		}
	}
	return ""
}

// parseCNMI reads `+CNMI: 1,2,0,1,0`: how new messages (<mt>) and status
// reports (<ds>) are routed to us.
func parseCNMI(info []string) (mt, ds int, err error) {
	for _, l := range info {
		f, ok := fields(l, "+CNMI:")
		if !ok {
			continue
		}
		if len(f) < 4 {
			return 0, 0, fmt.Errorf("bad +CNMI line %q", l)
		}
		mt, err1 := strconv.Atoi(f[1])
		ds, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil || mt < 0 || ds < 0 {
			return 0, 0, fmt.Errorf("bad +CNMI line %q", l)
		}
		return mt, ds, nil
	}
	return 0, 0, fmt.Errorf("no +CNMI line in %q", info)
}
