package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/campaign"
	"github.com/smsbridge/smsbridge/priority"
)

func TestCampaignStored(t *testing.T) {
	t.Parallel()
	db, path := openTest(t)
	ctx := context.Background()
	pace := &campaign.Pace{Rate: 2.5, Window: campaign.Window{Start: 480, End: 1200}, Zone: "Europe/Zurich"}
	m := classMessage("camp", priority.Bulk, 2, t0)
	m.Recipients = append(m.Recipients, testMessage("x", 1, 2, t0).Recipients[0])
	m.Campaign = pace
	// The second recipient's parts are first due later: the planned pace.
	for j := range m.Recipients[1].Parts {
		m.Recipients[1].Parts[j].NextAttempt = t0.Add(time.Duration(j+1) * time.Second)
	}
	m.Recipients[0].Parts[1].NextAttempt = t0.Add(-time.Hour) // before Received: due at Received
	mustEnqueue(t, db, m)
	mustEnqueue(t, db, testMessage("plain", 1, 1, t0))
	checkIndexes(t, db)
	db = reopen(t, db, path)

	due, err := db.Due(t0, 10)
	if err != nil || len(due) != 3 || due[0].Key.Msg != "plain" || due[1].Campaign == nil || *due[1].Campaign != *pace || due[0].Campaign != nil {
		t.Fatalf("due at t0: %v %v", dueIDs(due), err)
	}
	if due, _ := db.Due(t0.Add(1500*time.Millisecond), 10); len(due) != 4 {
		t.Errorf("due 1.5s later: %v", dueIDs(due))
	}
	if got, _ := db.Message("camp"); got.Campaign == nil || *got.Campaign != *pace {
		t.Errorf("Message(camp).Campaign = %+v", got.Campaign)
	}

	list, err := db.Campaigns(10)
	if err != nil || len(list) != 1 {
		t.Fatalf("Campaigns = %+v, %v", list, err)
	}
	c := list[0]
	if c.ID != "camp" || c.Recipients != 2 || c.Parts[PartQueued] != 4 || c.Pace != *pace || c.Sender != "alice@example.com" {
		t.Errorf("campaign %+v", c)
	}
	k := PartKey{"camp", 0, 0}
	if _, err := db.Begin(ctx, []PartKey{k}, "smsc", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Finish(ctx, k, PartFailed, "bad number", t0); err != nil {
		t.Fatal(err)
	}
	if c, err := db.Campaign("camp"); err != nil || c.Parts[PartFailed] != 1 || c.Parts[PartQueued] != 3 {
		t.Errorf("Campaign(camp) = %+v, %v", c, err)
	}
	if _, err := db.Campaign("plain"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Campaign(plain): %v", err)
	}
	if _, err := db.Campaign(""); !errors.Is(err, ErrNotFound) {
		t.Errorf("Campaign(\"\"): %v", err)
	}
}

func TestCampaignPurged(t *testing.T) {
	t.Parallel()
	db, _ := openTest(t)
	ctx := context.Background()
	m := classMessage("camp", priority.Bulk, 1, t0)
	m.Campaign = &campaign.Pace{Rate: 1}
	m.Recipients[0].Reported = true
	mustEnqueue(t, db, m)
	if _, err := db.Finish(ctx, PartKey{"camp", 0, 0}, PartCancelled, "cancelled", t0); err != nil {
		t.Fatal(err)
	}
	if n, err := db.Purge(ctx, t0.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v", n, err)
	}
	if list, err := db.Campaigns(10); err != nil || len(list) != 0 {
		t.Errorf("after purge: %+v, %v", list, err)
	}
	checkIndexes(t, db)
}
