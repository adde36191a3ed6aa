package sms

import (
	"errors"
	"fmt"
	"unicode"
)

// ErrUnreadable means a GSM-7 or ASCII text is mostly in a script whose
// Latin transliteration nobody reads (Japanese, Korean), and the options
// ask to refuse it rather than switch to UCS-2.
var ErrUnreadable = errors.New("sms: text is mostly Japanese or Korean, which GSM-7 cannot spell readably")

// UnreadableMode says what gsm7 and ascii do with such text.
type UnreadableMode uint8

const (
	UnreadableUCS2   UnreadableMode = iota // send it in UCS-2, as written
	UnreadableReject                       // refuse with ErrUnreadable
)

var unreadableNames = [...]string{"ucs2", "reject"}

func (m UnreadableMode) String() string {
	return enumName(unreadableNames[:], uint8(m), "UnreadableMode")
}

// ParseUnreadableMode reads "ucs2" or "reject", in any case; "" is ucs2.
func ParseUnreadableMode(s string) (UnreadableMode, error) {
	i, err := parseOptional(s, unreadableNames[:])
	if err != nil {
		return 0, fmt.Errorf("sms: unreadable: %w", err)
	}
	return UnreadableMode(i), nil
}

// enumName is names[v], or the type and number for a value out of range.
func enumName(names []string, v uint8, typ string) string {
	if int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", typ, v)
}

// parseOptional is parseName where "" means the first name, the default.
func parseOptional(s string, names []string) (int, error) {
	if s == "" {
		return 0, nil
	}
	return parseName(s, names)
}

// unreadable reports whether most letters of s are Japanese or Korean.
// unidecode spells kanji with their Chinese readings and Hangul letter by
// letter; neither reads as the language. Chinese alone stays: its pinyin
// is what Chinese users type. Kanji count as Japanese once kana appear.
func unreadable(s string) bool {
	var letters, kana, hangul, han int
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Hiragana, unicode.Katakana):
			kana++
		case unicode.Is(unicode.Hangul, r):
			hangul++
		case unicode.Is(unicode.Han, r):
			han++
		case !unicode.IsLetter(r):
			continue
		}
		letters++
	}
	if kana == 0 {
		han = 0
	}
	return letters > 0 && 2*(kana+hangul+han) > letters
}
