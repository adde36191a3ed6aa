package api

import (
	"net/http"
	"testing"

	"github.com/smsbridge/smsbridge/priority"
)

func TestSendWithPriority(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false, nil)
	for _, tc := range []struct {
		body map[string]any
		want priority.Class
	}{
		{map[string]any{"to": []string{"4151234567"}, "text": "code 1234", "priority": "urgent"}, priority.Urgent},
		{map[string]any{"to": []string{"4151234567"}, "text": "sale", "priority": "bulk"}, priority.Bulk},
		{map[string]any{"to": []string{"4151234567"}, "text": "hello"}, priority.Normal},
	} {
		var m MessageView
		if resp := e.call(t, "POST", "/api/v1/messages", "", tc.body, &m); resp.StatusCode != http.StatusCreated {
			t.Fatalf("POST %v: %d", tc.body, resp.StatusCode)
		}
		if m.Class != tc.want {
			t.Errorf("POST %v: class %v, want %v", tc.body, m.Class, tc.want)
		}
		var got MessageView
		e.call(t, "GET", "/api/v1/messages/"+m.ID, "", nil, &got)
		if got.Class != tc.want {
			t.Errorf("GET %s: class %v, want %v", m.ID, got.Class, tc.want)
		}
	}
	var list ListView
	e.call(t, "GET", "/api/v1/messages", "", nil, &list)
	if len(list.Messages) != 3 || list.Messages[0].Class != priority.Normal || list.Messages[2].Class != priority.Urgent {
		t.Errorf("list: %+v", list)
	}
	e.wantError(t, "POST", "/api/v1/messages", "", map[string]any{"to": []string{"4151234567"}, "text": "x", "priority": "high"},
		http.StatusBadRequest, codeBadRequest)
}
