package sms

//go:generate sh -c "python3 gen_emoji.py && gofmt -w emoji_table.go"

import "fmt"

// EmojiMode says what GSM-7 and ASCII make of an emoji, which neither
// alphabet has. UCS-2 keeps them as written.
type EmojiMode uint8

const (
	EmojiWords EmojiMode = iota // a smiley as ASCII (":)"), others by name ("[fire]"); unknown ones dropped
	EmojiDrop                   // left out
)

var emojiModeNames = [...]string{"words", "drop"}

func (m EmojiMode) String() string { return enumName(emojiModeNames[:], uint8(m), "EmojiMode") }

// ParseEmojiMode reads "words" or "drop", in any case; "" is words.
func ParseEmojiMode(s string) (EmojiMode, error) {
	i, err := parseOptional(s, emojiModeNames[:])
	if err != nil {
		return 0, fmt.Errorf("sms: emoji: %w", err)
	}
	return EmojiMode(i), nil
}

// emojiASCII spells the faces people type as ASCII smileys, shorter and
// better known than their names.
var emojiASCII = map[rune]string{
	'☺': ":)", '🙂': ":)", '😊': ":)", '😀': ":D", '😃': ":D", '😄': ":D", '😁': ":D",
	'😆': "xD", '😂': ":'D", '🤣': ":'D", '😉': ";)", '😜': ";P", '😛': ":P", '😝': "xP",
	'🙁': ":(", '☹': ":(", '😞': ":(", '😟': ":(", '😢': ":'(", '😭': ":'(", '😠': ">:(",
	'😡': ">:(", '😮': ":O", '😲': ":O", '😐': ":|", '😑': ":|", '😕': ":/", '😘': ":*",
	'😍': "<3", '❤': "<3", '💕': "<3", '💖': "<3", '💙': "<3", '💚': "<3", '💛': "<3",
	'💜': "<3", '🧡': "<3", '🖤': "<3", '💔': "</3", '😎': "B)", '👍': "(y)", '👎': "(n)",
}

// isEmoji reports a pictograph: what emojiNames or emojiASCII spell, and
// the rest of the blocks emoji come from.
func isEmoji(r rune) bool {
	if _, ok := emojiNames[r]; ok {
		return true
	}
	if _, ok := emojiASCII[r]; ok {
		return true
	}
	return r >= 0x1F000 && r <= 0x1FAFF || r >= 0x2600 && r <= 0x27BF
}

// emojiText is what an emoji becomes in mode; "" drops it.
func emojiText(r rune, mode EmojiMode) string {
	if mode == EmojiDrop {
		return ""
	}
	if r >= 0x1F1E6 && r <= 0x1F1FF { // regional indicators: a flag is its country code
		return string('A' + (r - 0x1F1E6))
	}
	if s, ok := emojiASCII[r]; ok {
		return s
	}
	return emojiNames[r]
}
