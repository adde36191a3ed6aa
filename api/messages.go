package api

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/bridge"
	"github.com/smsbridge/smsbridge/internal/mailfmt"
	"github.com/smsbridge/smsbridge/priority"
	"github.com/smsbridge/smsbridge/store"
)

// sendRequest is the body of POST /api/v1/messages.
type sendRequest struct {
	To   []string `json:"to"`   // numbers in any common form, alias names, number@domain
	Text string   `json:"text"` // converted and split as mail text is
	From string   `json:"from"` // mail address told about delivery; "" for nobody
	// Priority is the class asked for: urgent, normal (the default) or
	// bulk; the sender rules of [priority] apply.
	Priority string `json:"priority"`

	class priority.Class
}

func (s *Server) sendMessage(w http.ResponseWriter, r *http.Request) {
	var req sendRequest
	if !decodeBody(w, r, &req) {
		return
	}
	id, err := s.send(r.Context(), "api", &req)
	var refused *RequestError
	switch {
	case errors.As(err, &refused):
		writeError(w, http.StatusBadRequest, codeBadRequest, refused.Msg)
		return
	case err != nil:
		s.gatewayError(w, err)
		return
	}
	m, err := s.opt.Queue.Message(id)
	if err != nil {
		s.gatewayError(w, err)
		return
	}
	w.Header().Set("Location", "/api/v1/messages/"+id)
	writeJSON(w, http.StatusCreated, ViewMessage(m))
}

func (s *Server) checkSend(req *sendRequest) string {
	switch {
	case len(req.To) == 0:
		return `"to" must name at least one number`
	case len(req.To) > s.opt.MaxRecipients:
		return fmt.Sprintf(`"to" names %d recipients; at most %d are allowed`, len(req.To), s.opt.MaxRecipients)
	case strings.TrimSpace(req.Text) == "":
		return `"text" is empty`
	}
	if req.Priority != "" {
		c, err := priority.Parse(req.Priority)
		if err != nil {
			return fmt.Sprintf(`"priority" must be one of %s`, priority.Names)
		}
		req.class = c
	}
	if req.From != "" {
		a, err := mail.ParseAddress(req.From)
		if err != nil || a.Name != "" || strings.ContainsAny(req.From, "\r\n") {
			return `"from" must be a plain mail address such as ops@example.com`
		}
		if _, err := mailfmt.ParseUnquoted(a.Address); err != nil {
			return `"from": ` + err.Error() // reports could not be sent to it
		}
		req.From = a.Address
	}
	return ""
}

// decodeBody reads one JSON object, refusing unknown fields and trailing data.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("data after the JSON object")
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, codeTooLarge, fmt.Sprintf("the body is over %d bytes", tooBig.Limit))
		return false
	case err != nil:
		writeError(w, http.StatusBadRequest, codeBadRequest, "the body is not the JSON object expected: "+err.Error())
		return false
	}
	return true
}

func (s *Server) getMessage(w http.ResponseWriter, r *http.Request) {
	m, err := s.opt.Queue.Message(r.PathValue("id"))
	if err != nil {
		s.gatewayError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ViewMessage(m))
}

func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	q, msg := s.listQuery(r)
	if msg != "" {
		writeError(w, http.StatusBadRequest, codeBadRequest, msg)
		return
	}
	list, next, err := s.opt.Queue.List(q)
	if err != nil {
		s.gatewayError(w, err)
		return
	}
	out := ListView{Messages: make([]SummaryView, 0, len(list)), Next: next}
	for _, m := range list {
		out.Messages = append(out.Messages, ViewSummary(m))
	}
	writeJSON(w, http.StatusOK, out)
}

// listQuery reads ?state=&since=&to=&limit=&before=; msg says what is wrong.
func (s *Server) listQuery(r *http.Request) (q store.ListQuery, msg string) {
	v := r.URL.Query()
	var err error
	if st := v.Get("state"); st != "" {
		if q.State, err = store.ParsePartState(st); err != nil {
			return q, "state must be one of queued, submitting, submitted, delivered, failed, expired, cancelled"
		}
	}
	if since := v.Get("since"); since != "" {
		if q.Since, err = parseSince(since, s.opt.Now()); err != nil {
			return q, "since must be a time (RFC 3339, 2025-03-01T12:00:00Z) or a duration back from now (90m, 24h)"
		}
	}
	if to := v.Get("to"); to != "" {
		if q.To, err = s.opt.Gateway.NormalizeNumber(to); err != nil {
			return q, "to: " + err.Error()
		}
	}
	if limit := v.Get("limit"); limit != "" {
		if q.Limit, err = strconv.Atoi(limit); err != nil || q.Limit < 1 || q.Limit > store.MaxListLimit {
			return q, fmt.Sprintf("limit must be a number from 1 to %d", store.MaxListLimit)
		}
	}
	q.Before = v.Get("before")
	return q, ""
}

func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Parse(time.RFC3339, s)
}

// CancelView answers DELETE /api/v1/messages/{id}.
type CancelView struct {
	Cancelled int         `json:"cancelled"` // parts cancelled by this request
	Message   MessageView `json:"message"`
}

func (s *Server) cancelMessage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	n, err := s.opt.Gateway.CancelMessage(r.Context(), id)
	if err != nil {
		s.gatewayError(w, err)
		return
	}
	if n == 0 {
		writeError(w, http.StatusConflict, codeNotCancellable, "nothing of "+id+" is waiting in the queue: it was sent, is being sent, or is final")
		return
	}
	m, err := s.opt.Queue.Message(id)
	if err != nil {
		s.gatewayError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, CancelView{Cancelled: n, Message: ViewMessage(m)})
}

// RetryView answers POST /api/v1/messages/{id}/retry.
type RetryView struct {
	ID     string `json:"id"`
	Queued int    `json:"queued"` // parts now due
}

func (s *Server) retryMessage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	n, err := s.opt.Gateway.RetryMessage(r.Context(), id)
	if err != nil {
		s.gatewayError(w, err)
		return
	}
	if n == 0 {
		writeError(w, http.StatusConflict, codeNothingQueued, "nothing of "+id+" is waiting in the queue, failed or expired")
		return
	}
	writeJSON(w, http.StatusOK, RetryView{ID: id, Queued: n})
}

func (s *Server) transports(w http.ResponseWriter, r *http.Request) {
	var out struct {
		Transports []TransportView `json:"transports"`
	}
	out.Transports = []TransportView{}
	for _, t := range s.opt.Gateway.Transports() {
		tv := TransportView{TransportStatus: t}
		if s.opt.Throughput != nil {
			tv.Throughput = s.opt.Throughput(t.Name)
		}
		if s.opt.BindHolders != nil && t.Details != nil && t.Details.SMPPStatus != nil {
			tv.Binds = s.bindHolders(r.Context(), t.Name)
		}
		out.Transports = append(out.Transports, tv)
	}
	writeJSON(w, http.StatusOK, out)
}

// bindHolders lists the holders of transport's bind leases by bind; if
// they cannot be read, it logs why and lists none.
func (s *Server) bindHolders(ctx context.Context, transport string) []BindHolderView {
	holders, err := s.opt.BindHolders.Holders(ctx, transport)
	if err != nil {
		s.log.Warn("bind lease holders unreadable", "transport", transport, "err", err)
	}
	out := make([]BindHolderView, 0, len(holders))
	for bind, instance := range holders {
		out = append(out, BindHolderView{Bind: bind, Instance: instance})
	}
	slices.SortFunc(out, func(a, b BindHolderView) int { return cmp.Compare(a.Bind, b.Bind) })
	return out
}

// gatewayError answers an error of the gateway or the store.
func (s *Server) gatewayError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, codeNotFound, "no such message")
	case errors.Is(err, bridge.ErrBadRecipient):
		writeError(w, http.StatusUnprocessableEntity, codeBadRecipient, err.Error())
	case errors.Is(err, bridge.ErrOptedOut):
		writeError(w, http.StatusUnprocessableEntity, codeOptedOut, err.Error())
	case errors.Is(err, bridge.ErrTextRefused):
		writeError(w, http.StatusUnprocessableEntity, codeTextRefused, err.Error())
	case errors.Is(err, store.ErrClosed), errors.Is(err, store.ErrCorrupt):
		s.log.Error("API request failed", "err", err)
		writeError(w, http.StatusServiceUnavailable, codeUnavailable, "the queue is unavailable; try again later")
	default:
		id := logID()
		s.log.Error("API request failed", "log_id", id, "err", err)
		writeError(w, http.StatusInternalServerError, codeInternal, "internal error; logged as "+id)
	}
}
