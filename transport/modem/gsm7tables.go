package modem

import "github.com/warthog618/sms/encoding/gsm7/charset"

// warthog618/sms builds its GSM-7 tables on first use, without a lock: two
// modems decoding their first messages at once would race. Build them all
// while the program starts, before any goroutine can.
func init() {
	for nli := range 16 { // the national language identifiers of 23.038
		charset.NewDecoder(nli)
		charset.NewEncoder(nli)
		charset.NewExtEncoder(nli)
	}
}
