package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestBrowseConversationsAndOptOuts(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range 5 {
		n := fmt.Sprintf("+4420790000%02d", i)
		if err := db.SetConversation(ctx, n, Conversation{Sender: "ops@example.com", Subject: "s", Updated: at}); err != nil {
			t.Fatal(err)
		}
		if err := db.OptOut(ctx, n, at.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.OptOut(ctx, "+15550100", at); err != nil {
		t.Fatal(err)
	}
	var got []string
	after := ""
	for range 10 {
		page, next, err := db.Conversations("+44", after, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page {
			if c.Sender != "ops@example.com" || !c.Updated.Equal(at) {
				t.Errorf("conversation %+v", c)
			}
			got = append(got, c.Number)
		}
		if next == "" {
			break
		}
		after = next
	}
	if fmt.Sprint(got) != "[+442079000000 +442079000001 +442079000002 +442079000003 +442079000004]" {
		t.Errorf("conversations by page: %v", got)
	}
	all, next, err := db.OptOuts("", "", 0)
	if err != nil || next != "" || len(all) != 6 || all[0].Number != "+15550100" {
		t.Fatalf("opt-outs = %v, %q, %v", all, next, err)
	}
	if !all[2].Since.Equal(at.Add(time.Minute)) {
		t.Errorf("since = %v", all[2].Since)
	}
	none, _, err := db.OptOuts("+1", "+15550100", 10)
	if err != nil || len(none) != 0 {
		t.Errorf("after the last of a prefix: %v, %v", none, err)
	}
}
