package api

import (
	"encoding/json"
	"net/http"
)

// Error codes: part of the API's contract, never renamed.
const (
	codeBadRequest       = "bad_request"
	codeUnauthorized     = "unauthorized"
	codeForbidden        = "forbidden"
	codeNotFound         = "not_found"
	codeMethodNotAllowed = "method_not_allowed"
	codeTooLarge         = "too_large"
	codeBadRecipient     = "bad_recipient"
	codeOptedOut         = "opted_out"
	codeTextRefused      = "text_refused"
	codeNotCancellable   = "not_cancellable"
	codeNothingQueued    = "nothing_queued"
	codeUnavailable      = "unavailable"
	codeInternal         = "internal"
	// codeReadOnly is answered as codeForbidden; it only tells authorize why.
	codeReadOnly = "read_only"
)

// ErrorBody is every error answer: {"error": {"code": …, "message": …}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, ErrorBody{ErrorDetail{Code: code, Message: message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away: nothing left to tell it
}
