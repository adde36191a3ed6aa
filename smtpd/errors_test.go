package smtpd

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
)

func TestReplyMapping(t *testing.T) {
	t.Parallel()
	cause := errors.New("internal detail")
	tests := []struct {
		name    string
		err     error
		code    int
		enh     smtp.EnhancedCode
		msg     string // prefix of the reply text
		logID   bool   // reply carries a log id
		panicky any
	}{
		{name: "nil", err: nil},
		{"permanent", &Error{550, [3]int{5, 1, 1}, "bad number", cause}, 550, smtp.EnhancedCode{5, 1, 1}, "bad number", false, nil},
		{"wrapped twice", fmt.Errorf("a: %w", fmt.Errorf("b: %w", Errorf(450, [3]int{4, 7, 1}, "rate limited"))), 450, smtp.EnhancedCode{4, 7, 1}, "rate limited", false, nil},
		// maddy's bug: a temporary reply with a permanent enhanced code.
		{"class follows code", &Error{451, [3]int{5, 3, 0}, "busy", nil}, 451, smtp.EnhancedCode{4, 3, 0}, "busy", false, nil},
		{"class follows code 5xx", &Error{554, [3]int{4, 6, 0}, "empty", nil}, 554, smtp.EnhancedCode{5, 6, 0}, "empty", false, nil},
		{"no enhanced code", &Error{Code: 550, Message: "no"}, 550, smtp.EnhancedCode{5, 0, 0}, "no", false, nil},
		{"bad enhanced detail", &Error{550, [3]int{5, -1, 1000}, "no", nil}, 550, smtp.EnhancedCode{5, 0, 0}, "no", false, nil},
		{"success code is a bug", &Error{250, [3]int{2, 0, 0}, "ok", nil}, 451, smtp.EnhancedCode{4, 3, 0}, replyTempFailure, true, nil},
		{"zero code is a bug", &Error{Message: "x"}, 451, smtp.EnhancedCode{4, 3, 0}, replyTempFailure, true, nil},
		{"plain error", fmt.Errorf("store: %w", cause), 451, smtp.EnhancedCode{4, 3, 0}, replyTempFailure, true, nil},
		{"go-smtp error", fmt.Errorf("x: %w", smtp.ErrDataTooLarge), 552, smtp.EnhancedCode{5, 3, 4}, "Maximum message size", false, nil},
		{"CRLF in text", &Error{550, [3]int{5, 1, 1}, "no\r\n250 fake", nil}, 550, smtp.EnhancedCode{5, 1, 1}, "no  250 fake", false, nil},
		{"panic", nil, 451, smtp.EnhancedCode{4, 3, 0}, replyTempFailure, true, "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &session{log: slog.New(slog.DiscardHandler)}
			got := s.reply("test", tt.err, tt.panicky)
			if tt.code == 0 {
				if got != nil {
					t.Fatalf("reply(nil) = %v", got)
				}
				return
			}
			se, ok := got.(*smtp.SMTPError) // unwrapped, as go-smtp needs
			if !ok {
				t.Fatalf("reply = %T %v, want *smtp.SMTPError", got, got)
			}
			if se.Code != tt.code || se.EnhancedCode != tt.enh || !strings.HasPrefix(se.Message, tt.msg) {
				t.Fatalf("reply = %d %v %q, want %d %v %q...", se.Code, se.EnhancedCode, se.Message, tt.code, tt.enh, tt.msg)
			}
			if strings.Contains(se.Message, "internal detail") || strings.ContainsAny(se.Message, "\r\n") {
				t.Fatalf("reply text %q leaks the cause or has line breaks", se.Message)
			}
			if tt.logID && len(se.Message) <= len(replyTempFailure) {
				t.Fatalf("reply %q has no log id", se.Message)
			}
		})
	}
}

func TestErrorValue(t *testing.T) {
	t.Parallel()
	cause := errors.New("disk")
	e := Errorf(451, [3]int{4, 3, 0}, "store %s: %w", "busy", cause)
	if !errors.Is(e, cause) || e.Message != "store busy: disk" || !e.Temporary() {
		t.Fatalf("Errorf = %+v", e)
	}
	if got := e.Error(); got != "451 4.3.0 store busy: disk: disk" {
		t.Fatalf("Error() = %q", got)
	}
	p := Errorf(550, [3]int{5, 7, 1}, "relaying denied")
	if p.Temporary() || p.Err != nil || p.Error() != "550 5.7.1 relaying denied" {
		t.Fatalf("permanent Errorf = %+v / %q", p, p.Error())
	}
	var target *Error
	if !errors.As(fmt.Errorf("x: %w", p), &target) || target != p {
		t.Fatal("errors.As does not find a wrapped *Error")
	}
}
