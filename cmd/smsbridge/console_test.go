package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/smsbridge/smsbridge/configs"
)

// TestConsoleOnTheHTTPListener: the daemon's [http] listener serves the
// web console beside the API, and / leads to it.
func TestConsoleOnTheHTTPListener(t *testing.T) {
	t.Parallel()
	cfg, err := configs.Load(runDaemon(t))
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + cfg.HTTP.Listen
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		path, location, contentType, body string
		status                            int
	}{
		{"/", "/console/", "", "", http.StatusSeeOther},
		{"/console/", "/console/login", "", "", http.StatusSeeOther},
		{"/console/login", "", "text/html", `name="password"`, http.StatusOK},
		{"/console/static/console.css", "", "text/css", "", http.StatusOK},
		{"/console/static/count.js", "", "javascript", "", http.StatusOK},
		{"/nowhere", "", "application/json", `"not_found"`, http.StatusNotFound},
	} {
		resp, err := c.Get(base + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("Location") != tc.location ||
			!strings.Contains(resp.Header.Get("Content-Type"), tc.contentType) || !strings.Contains(string(b), tc.body) {
			t.Errorf("GET %s: %d, Location %q, %s\n%s", tc.path, resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("Content-Type"), b)
		}
		if strings.HasPrefix(tc.path, "/console/") && !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
			t.Errorf("GET %s: no Content-Security-Policy", tc.path)
		}
	}
}
