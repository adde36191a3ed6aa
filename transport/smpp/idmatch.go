package smpp

import (
	"strconv"
	"strings"
	"sync"
)

// recentIDs bounds the memory of issued ids used to match receipt ids.
const recentIDs = 1 << 16

// conversion is how receipt ids relate to submit_sm_resp ids.
type conversion uint8

const (
	convNone     conversion = iota
	convDecToHex            // receipt decimal, submit_sm_resp hexadecimal
	convHexToDec            // receipt hexadecimal, submit_sm_resp decimal
)

// idMatcher maps the id in a receipt to the id Send returned. Many SMSCs
// answer submit_sm with a hexadecimal id and write it in decimal in the
// receipt (or the reverse); the matcher tries the forms, checks them against
// the ids issued recently and, in "auto" mode, learns which conversion the
// SMSC uses for receipts that come too late to be matched.
type idMatcher struct {
	format string // auto | hex | dec

	mu      sync.Mutex
	keys    map[string]string // form of an issued id -> the id
	ring    []string          // issued ids, oldest first once full
	next    int
	learned conversion
	upper   bool // issued hex ids use upper case letters
	changed chan struct{}
}

func newIDMatcher(format string) *idMatcher {
	return &idMatcher{format: format, keys: make(map[string]string), changed: make(chan struct{})}
}

// forms returns the lookup keys of an id: its exact text and its numeric
// values read as decimal and as hexadecimal.
func forms(id string) (exact, dec, hex string) {
	exact = "=" + strings.ToLower(id)
	if v, err := strconv.ParseUint(id, 10, 64); err == nil && allDigits(id) {
		dec = "d:" + strconv.FormatUint(v, 10)
	}
	if v, err := strconv.ParseUint(id, 16, 64); err == nil && !strings.HasPrefix(id, "+") {
		hex = "h:" + strconv.FormatUint(v, 10)
	}
	return exact, dec, hex
}

// issued records an id returned by submit_sm_resp.
func (m *idMatcher) issued(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.ring) < recentIDs {
		m.ring = append(m.ring, id)
	} else {
		m.forget(m.ring[m.next])
		m.ring[m.next] = id
		m.next = (m.next + 1) % recentIDs
	}
	exact, dec, hex := forms(id)
	for _, k := range []string{exact, dec, hex} {
		if k != "" {
			m.keys[k] = id
		}
	}
	if strings.ContainsAny(id, "abcdefABCDEF") {
		m.upper = strings.ToUpper(id) == id
	}
	close(m.changed)
	m.changed = make(chan struct{})
}

func (m *idMatcher) forget(id string) {
	exact, dec, hex := forms(id)
	for _, k := range []string{exact, dec, hex} {
		if k != "" && m.keys[k] == id {
			delete(m.keys, k)
		}
	}
}

// wait returns a channel closed at the next issued id.
func (m *idMatcher) wait() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.changed
}

// candidates lists the keys to try for a receipt id, most likely first,
// with the conversion each implies.
func (m *idMatcher) candidates(rid string) ([]string, []conversion) {
	exact, dec, hex := forms(rid)
	var toHex, toDec string // receipt's value looked up in the other base
	if dec != "" {
		toHex = "h:" + dec[2:]
	}
	if hex != "" {
		toDec = "d:" + hex[2:]
	}
	switch m.format {
	case "hex":
		return []string{toHex, exact, hex}, []conversion{convDecToHex, convNone, convNone}
	case "dec":
		return []string{toDec, exact, dec}, []conversion{convHexToDec, convNone, convNone}
	}
	return []string{exact, dec, hex, toHex, toDec}, []conversion{convNone, convNone, convNone, convDecToHex, convHexToDec}
}

// resolve returns the issued id a receipt id stands for, if one is known.
func (m *idMatcher) resolve(rid string) (string, bool) {
	if rid == "" {
		return "", false
	}
	keys, convs := m.candidates(rid)
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, k := range keys {
		if k == "" {
			continue
		}
		if id, ok := m.keys[k]; ok {
			if convs[i] != convNone {
				m.learned = convs[i]
			}
			return id, true
		}
	}
	return "", false
}

// fallback converts a receipt id no issued id matched, as configured or as
// learned; otherwise it is returned unchanged.
func (m *idMatcher) fallback(rid string) string {
	m.mu.Lock()
	conv, upper := m.learned, m.upper
	m.mu.Unlock()
	switch m.format {
	case "hex":
		conv = convDecToHex
	case "dec":
		conv = convHexToDec
	}
	switch conv {
	case convDecToHex:
		if v, err := strconv.ParseUint(rid, 10, 64); err == nil && allDigits(rid) {
			h := strconv.FormatUint(v, 16)
			if upper {
				h = strings.ToUpper(h)
			}
			return h
		}
	case convHexToDec:
		if v, err := strconv.ParseUint(rid, 16, 64); err == nil && !strings.HasPrefix(rid, "+") {
			return strconv.FormatUint(v, 10)
		}
	}
	return rid
}
