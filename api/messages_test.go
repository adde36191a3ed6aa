package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/configs"
)

func TestSendFollowAndList(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true, nil)
	var m MessageView
	resp := e.call(t, "POST", "/api/v1/messages", "", map[string]any{
		"to": []string{"(415) 123-4567", "oncall", "4151234567@sms.localhost"}, "text": "disk full on db-1", "from": "ops@example.com",
	}, &m)
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Location") != "/api/v1/messages/"+m.ID {
		t.Fatalf("POST: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var numbers []string
	for _, r := range m.Recipients {
		numbers = append(numbers, r.Number)
	}
	if want := []string{"+14151234567", "+14155550100", "+14155550101"}; !slices.Equal(numbers, want) {
		t.Errorf("numbers %v, want %v", numbers, want)
	}
	if m.Sender != "ops@example.com" || len(m.Recipients[0].Parts) != 1 || m.Recipients[0].Parts[0].Text != "disk full on db-1" {
		t.Errorf("message as queued: %+v", m)
	}
	done := e.waitMessage(t, m.ID, func(v MessageView) bool { return v.State == "delivered" })
	p := done.Recipients[0].Parts[0]
	if p.Transport != "simulator" || p.TransportID == "" || p.Receipt != "DELIVRD" || p.Error != "" || p.Attempts != 1 || p.NextAttempt != nil {
		t.Errorf("delivered part %+v", p)
	}

	var list ListView
	e.call(t, "GET", "/api/v1/messages?state=delivered&to=415-555-0101&since=1h", "", nil, &list)
	if len(list.Messages) != 1 || list.Messages[0].ID != m.ID || list.Messages[0].Parts["delivered"] != 3 || list.Messages[0].State != "delivered" {
		t.Errorf("list: %+v", list)
	}
	e.call(t, "GET", "/api/v1/messages?state=queued", "", nil, &list)
	if len(list.Messages) != 0 {
		t.Errorf("queued list: %+v", list)
	}
	e.call(t, "GET", "/api/v1/messages?since="+time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "", nil, &list)
	if len(list.Messages) != 0 {
		t.Errorf("list since the future: %+v", list)
	}
}

func TestFailedNumberShowsError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true, nil)
	var m MessageView
	e.call(t, "POST", "/api/v1/messages", "", map[string]any{"to": []string{"+15555550123"}, "text": "x"}, &m)
	done := e.waitMessage(t, m.ID, func(v MessageView) bool { return v.State == "failed" })
	p := done.Recipients[0].Parts[0]
	if p.Receipt != "UNDELIV" || !strings.Contains(p.Error, "could not deliver") {
		t.Errorf("failed part %+v", p)
	}
}

func TestListPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false, nil)
	var ids []string
	for i := range 5 {
		var m MessageView
		e.call(t, "POST", "/api/v1/messages", "", map[string]any{"to": []string{"4151234567"}, "text": strings.Repeat("x", i+1)}, &m)
		ids = append([]string{m.ID}, ids...)
	}
	var got []string
	before := ""
	for range 5 {
		var list ListView
		e.call(t, "GET", "/api/v1/messages?limit=2&before="+before, "", nil, &list)
		for _, s := range list.Messages {
			got = append(got, s.ID)
		}
		if list.Next == "" {
			break
		}
		before = list.Next
	}
	if !slices.Equal(got, ids) {
		t.Errorf("pages gave %v, want %v", got, ids)
	}
}

func TestCancelAndRetry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false, nil) // transport down: parts stay queued
	var m MessageView
	e.call(t, "POST", "/api/v1/messages", "", map[string]any{"to": []string{"4151234567", "4151234568"}, "text": "hold"}, &m)
	var r RetryView
	if resp := e.call(t, "POST", "/api/v1/messages/"+m.ID+"/retry", "", nil, &r); resp.StatusCode != 200 || r.Queued != 2 || r.ID != m.ID {
		t.Errorf("retry: %d %+v", resp.StatusCode, r)
	}
	var c CancelView
	if resp := e.call(t, "DELETE", "/api/v1/messages/"+m.ID, "", nil, &c); resp.StatusCode != 200 || c.Cancelled != 2 || c.Message.State != "cancelled" {
		t.Errorf("cancel: %d %+v", resp.StatusCode, c)
	}
	if p := c.Message.Recipients[1].Parts[0]; p.State != "cancelled" || p.Error == "" {
		t.Errorf("cancelled part %+v", p)
	}
	e.wantError(t, "DELETE", "/api/v1/messages/"+m.ID, "", nil, http.StatusConflict, codeNotCancellable)
	e.wantError(t, "POST", "/api/v1/messages/"+m.ID+"/retry", "", nil, http.StatusConflict, codeNothingQueued)
	e.wantError(t, "DELETE", "/api/v1/messages/0000000000000000", "", nil, http.StatusNotFound, codeNotFound)
	e.wantError(t, "POST", "/api/v1/messages/nope/retry", "", nil, http.StatusNotFound, codeNotFound)
}

func TestSendRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false, func(c *configs.Config, _ *Options) {
		c.SMS.MaxParts, c.SMS.OnTooLong = 1, "reject"
	})
	if err := e.st.OptOut(context.Background(), "+14155550199", time.Now()); err != nil {
		t.Fatal(err)
	}
	post := func(body any, status int, code string) {
		t.Helper()
		e.wantError(t, "POST", "/api/v1/messages", "", body, status, code)
	}
	post(`{"to": ["4151234567"], "text": `, http.StatusBadRequest, codeBadRequest)
	post(`{"to": ["4151234567"], "text": "x"} {}`, http.StatusBadRequest, codeBadRequest)
	post(`{"to": ["4151234567"], "text": "x", "priority": 1}`, http.StatusBadRequest, codeBadRequest)
	post(`{"to": "4151234567", "text": "x"}`, http.StatusBadRequest, codeBadRequest)
	post(map[string]any{"to": []string{}, "text": "x"}, http.StatusBadRequest, codeBadRequest)
	post(map[string]any{"to": []string{"4151234567"}, "text": "  "}, http.StatusBadRequest, codeBadRequest)
	post(map[string]any{"to": []string{"4151234567"}, "text": "x", "from": "Ops <ops@example.com>"}, http.StatusBadRequest, codeBadRequest)
	post(map[string]any{"to": []string{"4151234567"}, "text": "x", "from": `"victim@example.net> ORCPT=rfc822;z"@attacker.example`}, http.StatusBadRequest, codeBadRequest)
	post(map[string]any{"to": make([]string, 101), "text": "x"}, http.StatusBadRequest, codeBadRequest)
	post(map[string]any{"to": []string{"not-a-number"}, "text": "x"}, http.StatusUnprocessableEntity, codeBadRecipient)
	post(map[string]any{"to": []string{"4151234567@example.com"}, "text": "x"}, http.StatusUnprocessableEntity, codeBadRecipient)
	post(map[string]any{"to": []string{"4155550199"}, "text": "x"}, http.StatusUnprocessableEntity, codeOptedOut)
	post(map[string]any{"to": []string{"4151234567"}, "text": strings.Repeat("long text ", 40)}, http.StatusUnprocessableEntity, codeTextRefused)
	post(`{"to": ["4151234567"], "text": "`+strings.Repeat("x", maxBodyBytes)+`"}`, http.StatusRequestEntityTooLarge, codeTooLarge)
	var list ListView
	e.call(t, "GET", "/api/v1/messages", "", nil, &list)
	if len(list.Messages) != 0 {
		t.Errorf("a refused request stored something: %+v", list)
	}
}

func TestGetAndListRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false, nil)
	e.wantError(t, "GET", "/api/v1/messages/0000000000000000", "", nil, http.StatusNotFound, codeNotFound)
	for _, q := range []string{"state=sent", "since=yesterday", "since=-5m", "to=abc", "limit=0", "limit=1001", "limit=x"} {
		e.wantError(t, "GET", "/api/v1/messages?"+q, "", nil, http.StatusBadRequest, codeBadRequest)
	}
	e.wantError(t, "GET", "/api/v1/nothing", "", nil, http.StatusNotFound, codeNotFound)
	e.wantError(t, "PUT", "/api/v1/messages", "", nil, http.StatusMethodNotAllowed, codeMethodNotAllowed)
	resp := e.call(t, "PATCH", "/api/v1/transports", "", nil, nil)
	if allow := resp.Header.Get("Allow"); !strings.Contains(allow, "GET") {
		t.Errorf("405 without Allow: %q", allow)
	}
}

func TestStoreClosedIsUnavailable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true, nil)
	e.st.Close()
	e.wantError(t, "GET", "/api/v1/messages", "", nil, http.StatusServiceUnavailable, codeUnavailable)
	e.wantError(t, "GET", "/api/v1/messages/0000000000000000", "", nil, http.StatusServiceUnavailable, codeUnavailable)
	var h HealthView
	if resp := e.call(t, "GET", "/readyz", "", nil, &h); resp.StatusCode != 503 || h.Status != "unready" || h.Checks["store"] == "ok" {
		t.Errorf("readyz with the store closed: %d %+v", resp.StatusCode, h)
	}
}
