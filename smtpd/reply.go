package smtpd

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/emersion/go-smtp"
)

// reply turns what a session method returned, or the panic it raised, into
// the error go-smtp writes. go-smtp only recognises an unwrapped
// *smtp.SMTPError and otherwise shows err.Error() to the client, so every
// error leaving a session goes through here:
//   - an *Error anywhere in the chain keeps its code; its cause is logged;
//   - a *smtp.SMTPError (our 250, go-smtp's own replies) is passed on;
//   - anything else, and a panic, becomes 451 4.3.0 with a log id, and the
//     cause is logged under that id, never shown.
func (s *session) reply(stage string, err error, panicked any) error {
	if panicked != nil {
		return s.internal(stage, fmt.Errorf("panic: %v", panicked), debug.Stack())
	}
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		if !e.valid() {
			return s.internal(stage, fmt.Errorf("reply code %d is not a failure: %w", e.Code, err), nil)
		}
		se := &smtp.SMTPError{Code: e.Code, EnhancedCode: e.enhancedFor(), Message: clean(e.Message)}
		s.logReply(stage, se, err)
		s.srv.replied(se.Code)
		return se
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		out := *se
		out.Message = clean(se.Message)
		if out.Code >= 400 {
			s.logReply(stage, &out, err)
		}
		s.srv.replied(out.Code)
		return &out
	}
	return s.internal(stage, err, nil)
}

func (s *session) logReply(stage string, se *smtp.SMTPError, cause error) {
	s.log.Info("smtp rejected", "stage", stage, "code", se.Code, "enhanced", fmtEnhanced(se.EnhancedCode),
		"from", s.from(), "rcpts", s.rcptCount(), "err", cause)
}

// internal answers a failure whose text is not for the client.
func (s *session) internal(stage string, cause error, stack []byte) error {
	id := newID()
	attrs := []any{"stage", stage, "log_id", id, "code", 451, "from", s.from(), "rcpts", s.rcptCount(), "err", cause}
	if stack != nil {
		attrs = append(attrs, "stack", string(stack))
		s.log.Error("smtp panic", attrs...)
	} else {
		s.log.Error("smtp temporary failure", attrs...)
	}
	s.srv.replied(451)
	return &smtp.SMTPError{Code: 451, EnhancedCode: enhTempFailure, Message: replyTempFailure + id}
}

func (s *session) rcptCount() int {
	if s.env == nil {
		return 0
	}
	return len(s.env.Recipients)
}

func (s *session) from() string {
	if s.env == nil {
		return ""
	}
	return s.env.From
}

func fmtEnhanced(e smtp.EnhancedCode) string {
	return fmt.Sprintf("%d.%d.%d", e[0], e[1], e[2])
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newID returns a short random id for logs (conn_id, log_id).
func newID() string {
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return strings.ToLower(idEncoding.EncodeToString(b[:]))
}
