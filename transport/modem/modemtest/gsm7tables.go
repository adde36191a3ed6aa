package modemtest

import "github.com/warthog618/sms/encoding/gsm7/charset"

// Build warthog618/sms's lazily made GSM-7 tables before simulated modems
// decode at once (see transport/modem/gsm7tables.go).
func init() {
	for nli := range 16 {
		charset.NewDecoder(nli)
		charset.NewEncoder(nli)
		charset.NewExtEncoder(nli)
	}
}
