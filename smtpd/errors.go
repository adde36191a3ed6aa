package smtpd

import (
	"errors"
	"fmt"
	"strings"
)

// Error is an SMTP reply with its enhanced status code (RFC 3463), kept apart
// from its cause: Message is what the client sees, Err is only logged.
type Error struct {
	Code     int    // reply code, e.g. 550
	Enhanced [3]int // enhanced status code, e.g. {5, 1, 1}
	Message  string // shown to the client
	Err      error  // cause; logged, never shown
}

// Errorf returns an *Error whose Message is formatted as with fmt.Errorf. An
// error given with %w becomes the cause as well; mind that its text is then
// part of Message too.
func Errorf(code int, enhanced [3]int, format string, args ...any) *Error {
	e := fmt.Errorf(format, args...)
	return &Error{Code: code, Enhanced: enhanced, Message: e.Error(), Err: errors.Unwrap(e)}
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%d %d.%d.%d %s", e.Code, e.Enhanced[0], e.Enhanced[1], e.Enhanced[2], e.Message)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether the client should try again later (4xx).
func (e *Error) Temporary() bool { return e.Code/100 == 4 }

// Replies the server itself gives. They are values, not shared pointers, so
// a caller changing one cannot change them all.
var (
	enhAuthRequired  = [3]int{5, 7, 0}
	enhTooMany       = [3]int{4, 5, 3}
	enhBadSyntax     = [3]int{5, 1, 3}
	enhTooBig        = [3]int{5, 3, 4}
	enhLineTooLong   = [3]int{5, 5, 2}
	enhTempFailure   = [3]int{4, 3, 0}
	enhQueued        = [3]int{2, 0, 0}
	replyTempFailure = "temporary failure, id "
)

// valid reports whether e can be sent as a failure reply.
func (e *Error) valid() bool {
	return e.Code >= 400 && e.Code <= 599
}

// enhancedFor returns e's enhanced code with its class made to agree with the
// reply code: a 4xx reply with a 5.x.x code would tell DSN-reading clients
// to give up while the reply says retry (RFC 3463 section 2).
func (e *Error) enhancedFor() [3]int {
	enh := e.Enhanced
	if enh == [3]int{} {
		return [3]int{e.Code / 100, 0, 0}
	}
	enh[0] = e.Code / 100
	if enh[1] < 0 || enh[1] > 999 || enh[2] < 0 || enh[2] > 999 {
		enh[1], enh[2] = 0, 0
	}
	return enh
}

// clean makes text safe for one reply line: no control characters (a CR or
// LF would let text forge further replies) and a bounded length.
func clean(text string) string {
	const max = 400 // well under the 512-octet reply line of RFC 5321
	text = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, text)
	text = strings.TrimSpace(text)
	if len(text) > max {
		text = strings.ToValidUTF8(text[:max], "")
	}
	return text
}
