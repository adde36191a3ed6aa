// Package kannel serves Kannel's HTTP sendsms interface, so applications
// written for Kannel's smsbox send through smsbridge unchanged: GET or POST
// /cgi-bin/sendsms with smsbox's fields, answered with smsbox's status codes
// and words ("0: Accepted for delivery", 202) once the message is on disk.
// A dlr-url asked for with a dlr-mask is called back for each delivery
// report, durably (see Notifier).
package kannel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/internal/credentials"
	"github.com/smsbridge/smsbridge/internal/httpserve"
	"github.com/smsbridge/smsbridge/policy"
	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/smtpd"
)

const (
	maxBodyBytes = 64 << 10
	// DefaultMaxRecipients bounds the receivers of one request when
	// Options leaves it zero.
	DefaultMaxRecipients = 100
	// numberChars are the characters smsbox allows in a receiver
	// (sendsms-chars' default); a receiver with others is denied.
	numberChars = "0123456789+-"
	source      = "kannel" // names the requests in metrics and logs
)

// Gateway is what the endpoint needs of the bridge (*bridge.Gateway).
type Gateway interface {
	ResolveNumbers(to []string) ([]string, error)
	SendFollowed(ctx context.Context, source string, numbers []string, text string, f bridge.Followed) (string, error)
}

// User is one sendsms account.
type User = credentials.User

// Options configure a Server. Gateway is required.
type Options struct {
	Gateway Gateway
	Users   []User
	// Allow, when not nil, says whether user may send to numbers (the
	// user's allowed_recipients); a receiver it refuses is denied.
	Allow         func(user string, numbers []string) error
	MaxRecipients int // 0 means DefaultMaxRecipients
	// AllowUser, when not nil, takes one request of the user's own limits
	// (mails_per_minute); its refusals wrap policy.ErrRateLimit. The
	// message's parts are charged through bridge.Followed.User.
	AllowUser func(user string) error
	// Source, when not nil, is the SMS source a request of user with from
	// ("" when none) is sent with, or an error refusing from. Nil: the
	// route's or transport's, whatever from says.
	Source func(user, from string) (string, error)
	Logger *slog.Logger
}

// Server answers /cgi-bin/sendsms. It is safe for concurrent use; SetUsers
// may be called while it serves.
type Server struct {
	opt      Options
	accounts atomic.Pointer[credentials.Accounts]
	log      *slog.Logger
}

// New returns a Server for opt.
func New(opt Options) *Server {
	if opt.MaxRecipients <= 0 {
		opt.MaxRecipients = DefaultMaxRecipients
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	s := &Server{opt: opt, log: opt.Logger.With("component", "kannel")}
	s.SetUsers(opt.Users)
	return s
}

// SetUsers replaces the accounts.
func (s *Server) SetUsers(users []User) { s.accounts.Store(credentials.New(users)) }

// Serve answers on l until ctx is done, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	if err := httpserve.Serve(ctx, l, s, s.log); err != nil {
		return fmt.Errorf("kannel: %w", err)
	}
	return nil
}

// ServeHTTP implements http.Handler: /cgi-bin/sendsms, and smsbox's
// answer to anything else.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/cgi-bin/sendsms" {
		answer(w, http.StatusNotFound, "Unknown request.")
		return
	}
	status, text := s.sendsms(r)
	answer(w, status, text)
}

func answer(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	fmt.Fprint(w, text)
}

func (s *Server) sendsms(r *http.Request) (int, string) {
	f, err := readFields(r, maxBodyBytes)
	if err != nil {
		return refusalOf(err)
	}
	user, password := f.credentials()
	if !s.accounts.Load().Verify(user, password) {
		s.log.Info("sendsms refused", "user", user, "reason", "bad user name or password", "client", r.RemoteAddr)
		return http.StatusForbidden, "Authorization failed for sendsms"
	}
	req, ref := readRequest(f)
	if ref != nil {
		return ref.Status, ref.Text
	}
	if len(req.To) > s.opt.MaxRecipients {
		return http.StatusBadRequest, fmt.Sprintf("Too many receivers (%d, at most %d), rejected", len(req.To), s.opt.MaxRecipients)
	}
	numbers, denied := s.receivers(user, req.To)
	if len(numbers) == 0 {
		return http.StatusBadRequest, "Number(s) has/have been denied by white- and/or black-lists."
	}
	from := ""
	if s.opt.Source != nil {
		if from, err = s.opt.Source(user, req.From); err != nil {
			s.log.Info("sendsms refused", "user", user, "from", req.From, "reason", err.Error())
			return http.StatusForbidden, "Sender not allowed for this user, rejected"
		}
	}
	if s.opt.AllowUser != nil {
		if err := s.opt.AllowUser(user); err != nil {
			return s.sendError(err, req)
		}
	}
	if _, err := s.send(r.Context(), user, from, req, numbers); err != nil {
		return s.sendError(err, req)
	}
	text := "0: Accepted for delivery"
	if len(denied) > 0 {
		text += " Denied receivers are: " + strings.Join(denied, " ")
	}
	return http.StatusAccepted, text
}

func refusalOf(err error) (int, string) {
	var ref *refusal
	if errors.As(err, &ref) {
		return ref.Status, ref.Text
	}
	return http.StatusBadRequest, err.Error()
}

// receivers resolves each receiver alone, as smsbox checks each against
// its lists: the E.164 numbers to send to, and the receivers denied (bad
// characters or number, opted out, not allowed to this user).
func (s *Server) receivers(user string, to []string) (numbers, denied []string) {
	seen := map[string]bool{}
	for _, rcv := range to {
		var got []string
		var err error
		if strings.Trim(rcv, numberChars) != "" {
			err = fmt.Errorf("characters outside %q", numberChars)
		} else {
			got, err = s.opt.Gateway.ResolveNumbers([]string{rcv})
		}
		if err == nil && s.opt.Allow != nil {
			err = s.opt.Allow(user, got)
		}
		if err != nil {
			s.log.Info("sendsms receiver denied", "user", user, "to", rcv, "reason", err.Error())
			denied = append(denied, rcv)
			continue
		}
		for _, n := range got {
			if !seen[n] {
				seen[n] = true
				numbers = append(numbers, n)
			}
		}
	}
	return numbers, denied
}

// send queues the text from SMS source from (when not ""), charged to
// user, followed for delivery reports when the request asks for them (a
// dlr-url and a dlr-mask with a bit set).
func (s *Server) send(ctx context.Context, user, from string, req *request, numbers []string) (string, error) {
	var validity time.Duration
	if req.Validity > 0 {
		validity = time.Duration(req.Validity) * time.Minute
	}
	f := bridge.Followed{Validity: validity, UCS2: req.Coding == 2, Class: classOf(req.Priority), Source: from, User: user}
	if req.DLRURL != "" && req.DLRMask > 0 {
		f.Owner = watchOwner
		f.Data = follow{URL: req.DLRURL, Mask: req.DLRMask, From: req.From, User: user}.encode()
	}
	return s.opt.Gateway.SendFollowed(ctx, source, numbers, req.Text, f)
}

// classOf maps Kannel's priority (0, the default, to 3, the highest) onto
// smsbridge's classes: above the default is urgent.
func classOf(kannelPriority int) priority.Class {
	if kannelPriority > 0 {
		return priority.Urgent
	}
	return priority.Normal
}

// sendError answers a request not queued. Over the user's limits it is
// 503 Service Unavailable, as smsbox answers when it cannot queue, worded
// as smsbox words its refusals: the client is to send it again later.
func (s *Server) sendError(err error, req *request) (int, string) {
	if errors.Is(err, bridge.ErrTextRefused) {
		return http.StatusBadRequest, "Text field misformed (" + strings.TrimPrefix(err.Error(), bridge.ErrTextRefused.Error()+": ") + "), rejected"
	}
	if errors.Is(err, policy.ErrRateLimit) || errors.Is(err, policy.ErrDailyLimit) {
		var se *smtpd.Error
		why := err.Error()
		if errors.As(err, &se) {
			why = se.Message
		}
		s.log.Info("sendsms refused", "reason", why)
		return http.StatusServiceUnavailable, "Sending failed, " + why + ", rejected"
	}
	s.log.Error("sendsms failed", "err", err)
	text := "Sending failed."
	if len(req.To) > 1 {
		text += " Failed receivers are: " + strings.Join(req.To, " ")
	}
	return http.StatusInternalServerError, text
}
