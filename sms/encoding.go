// Package sms turns text into SMS: it picks the alphabet (GSM 03.38 or
// UCS-2), transliterates what the alphabet lacks, counts exactly as networks
// count and splits long text into parts. It knows nothing of mail or of any
// transport.
package sms

import "fmt"

// Encoding is the alphabet a message is sent in.
type Encoding uint8

const (
	GSM7  Encoding = iota // GSM 03.38 default alphabet with its extension table
	UCS2                  // UTF-16 big-endian, as networks carry it
	ASCII                 // 7-bit ASCII text; carried as GSM-7 or IA5
)

var encodingNames = [...]string{"gsm7", "ucs2", "ascii"}

func (e Encoding) String() string {
	if int(e) < len(encodingNames) {
		return encodingNames[e]
	}
	return fmt.Sprintf("Encoding(%d)", e)
}
