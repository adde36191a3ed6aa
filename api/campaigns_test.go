package api

import (
	"context"
	"net/http"
	"testing"
	"time"
)

func TestCampaignLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, true, nil)
	ctx := context.Background()
	if err := e.st.OptOut(ctx, "+14151230003", time.Now()); err != nil {
		t.Fatal(err)
	}
	var c CampaignView
	resp := e.call(t, "POST", "/api/v1/campaigns", "", map[string]any{
		"to":   []string{"4151230001", "4151230002", "4151230003", "4151230004", "4151230005", "4151230006"},
		"text": "spring sale", "rate": 2, "time_zone": "UTC",
	}, &c)
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Location") != "/api/v1/campaigns/"+c.ID {
		t.Fatalf("POST: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The opted-out number is left out; at 2 parts/s the last ones wait.
	if c.Recipients != 5 || c.Parts != 5 || c.Rate != 2 || c.TimeZone != "UTC" || c.Pending < 3 {
		t.Errorf("as queued: %+v", c)
	}
	var m MessageView
	e.call(t, "GET", "/api/v1/messages/"+c.ID, "", nil, &m)
	if m.Class.String() != "bulk" {
		t.Errorf("campaign message class %v", m.Class)
	}
	// The first part goes at once.
	deadline := time.Now().Add(10 * time.Second)
	for c.Sent == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("nothing sent: %+v", c)
		}
		time.Sleep(20 * time.Millisecond)
		e.call(t, "GET", "/api/v1/campaigns/"+c.ID, "", nil, &c)
	}
	var list struct{ Campaigns []CampaignView }
	e.call(t, "GET", "/api/v1/campaigns", "", nil, &list)
	if len(list.Campaigns) != 1 || list.Campaigns[0].ID != c.ID {
		t.Errorf("list: %+v", list)
	}
	var cancelled struct {
		Cancelled int
		Campaign  CampaignView
	}
	e.call(t, "DELETE", "/api/v1/campaigns/"+c.ID, "", nil, &cancelled)
	cv := cancelled.Campaign
	if cancelled.Cancelled < 2 || cv.Pending != 0 || cv.Cancelled != cancelled.Cancelled || cv.Progress != 1 || cv.Sent+cv.Cancelled != 5 {
		t.Errorf("after DELETE: %+v", cancelled)
	}
	e.wantError(t, "GET", "/api/v1/campaigns/0000000000000000", "", nil, http.StatusNotFound, codeNotFound)
	for _, bad := range []map[string]any{
		{"to": []string{"4151230001"}, "text": "x", "window": "8-20"},
		{"to": []string{"4151230001"}, "text": "x", "rate": -1},
		{"to": []string{"4151230001"}, "text": "x", "time_zone": "Mars/Base"},
		{"to": []string{"4151230001"}, "text": "x", "priority": "urgent"},
	} {
		e.wantError(t, "POST", "/api/v1/campaigns", "", bad, http.StatusBadRequest, codeBadRequest)
	}
}
