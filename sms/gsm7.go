package sms

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrNotGSM7 is wrapped by EncodeGSM7 when the text holds a character the
// GSM 03.38 default alphabet and its extension table both lack.
var ErrNotGSM7 = errors.New("sms: character not in the GSM 03.38 alphabet")

// escape is the septet that switches to the extension table for one septet.
const escape = 0x1B

// gsmBasic is the GSM 03.38 default alphabet, indexed by septet. 0x1B is the
// escape to the extension table; it is shown as a space when not understood.
var gsmBasic = [128]rune{
	'@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å',
	'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', ' ', 'Æ', 'æ', 'ß', 'É',
	' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
	'¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
	'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§',
	'¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à',
}

// gsmExt is the extension table: the septet that follows an escape. Codes
// missing here are undefined.
var gsmExt = map[byte]rune{
	0x0A: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2F: '\\',
	0x3C: '[', 0x3D: '~', 0x3E: ']', 0x40: '|', 0x65: '€',
}

// gsmCode is a rune's encoding: the septet, with extBit set when it must be
// preceded by an escape.
type gsmCode uint16

const (
	extBit  gsmCode = 0x100
	noGSM   gsmCode = 0xFFFF
	maxSept         = 0x7F
)

var (
	asciiToGSM [utf8.RuneSelf]gsmCode // fast path for the common case
	runeToGSM  = map[rune]gsmCode{}   // everything above ASCII
)

func init() {
	for i := range asciiToGSM {
		asciiToGSM[i] = noGSM
	}
	add := func(r rune, c gsmCode) {
		if r < utf8.RuneSelf {
			asciiToGSM[r] = c
			return
		}
		runeToGSM[r] = c
	}
	for i, r := range gsmBasic {
		if i != escape {
			add(r, gsmCode(i))
		}
	}
	for b, r := range gsmExt {
		add(r, gsmCode(b)|extBit)
	}
}

// lookupGSM returns r's code, or noGSM.
func lookupGSM(r rune) gsmCode {
	if r >= 0 && r < utf8.RuneSelf {
		return asciiToGSM[r]
	}
	if c, ok := runeToGSM[r]; ok {
		return c
	}
	return noGSM
}

// gsmWidth is the number of septets r takes, 0 when GSM-7 lacks it.
func gsmWidth(r rune) int {
	switch c := lookupGSM(r); {
	case c == noGSM:
		return 0
	case c&extBit != 0:
		return 2
	default:
		return 1
	}
}

// Septets counts the septets s takes in GSM-7, escapes included. ok is false
// when s holds a character GSM-7 lacks.
func Septets(s string) (n int, ok bool) {
	for _, r := range s {
		w := gsmWidth(r)
		if w == 0 {
			return n, false
		}
		n += w
	}
	return n, true
}

// IsGSM7 reports whether every character of s is in the GSM 03.38 alphabet.
func IsGSM7(s string) bool {
	_, ok := Septets(s)
	return ok
}

// EncodeGSM7 returns s as unpacked septets, one per byte, with escape pairs
// for extension characters. The error names the first character GSM-7 lacks.
func EncodeGSM7(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for i, r := range s {
		c := lookupGSM(r)
		switch {
		case c == noGSM:
			return nil, fmt.Errorf("%w: %q (U+%04X) at byte %d", ErrNotGSM7, r, r, i)
		case c&extBit != 0:
			out = append(out, escape, byte(c&maxSept))
		default:
			out = append(out, byte(c))
		}
	}
	return out, nil
}

// DecodeGSM7 turns unpacked septets into text. Bytes above 0x7F are read as
// their low seven bits. As GSM 03.38 asks, an escape followed by a code the
// extension table lacks shows that code from the default table, and an
// escape with nothing after it (or a second escape) shows as a space.
func DecodeGSM7(septets []byte) string {
	var b strings.Builder
	b.Grow(len(septets))
	for i := 0; i < len(septets); i++ {
		c := septets[i] & maxSept
		if c != escape {
			b.WriteRune(gsmBasic[c])
			continue
		}
		if i+1 == len(septets) {
			b.WriteByte(' ')
			break
		}
		i++
		next := septets[i] & maxSept
		if r, ok := gsmExt[next]; ok {
			b.WriteRune(r)
		} else {
			// gsmBasic[escape] is a space, covering the doubled escape.
			b.WriteRune(gsmBasic[next])
		}
	}
	return b.String()
}
