package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzRequestParsing feeds the API's small parsers (bearer header, since)
// and its JSON body decoding: none may panic, and what they
// accept must be sane.
func FuzzRequestParsing(f *testing.F) {
	for _, s := range []string{"Bearer abc", "24h", "2025-03-01T12:00:00Z",
		`{"to": ["4151234567"], "text": "x"}`, `{"to": 1}`, ""} {
		f.Add(s)
	}
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		if tok, ok := bearer(s); ok && (tok == "" || strings.ContainsAny(tok[:1], " \t")) {
			t.Errorf("bearer(%q) = %q", s, tok)
		}
		if ts, err := parseSince(s, now); err == nil && ts.IsZero() {
			t.Errorf("parseSince(%q) = zero time", s)
		}
		var req sendRequest
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/api/v1/messages", strings.NewReader(s))
		if ok := decodeBody(w, r, &req); !ok && w.Code != http.StatusBadRequest && w.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("decodeBody(%q) answered %d", s, w.Code)
		}
	})
}
