package configs

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/smsbridge/smsbridge/priority"
)

func TestPriorityErrors(t *testing.T) {
	t.Parallel()
	users := "[[smtp.users]]\nname = \"nagios\"\npassword_hash = \"$2a$10$abcdefghijklmnopqrstuuKZ0s8Sx0nZbC5bC5bC5bC5bC5bC5bC5m\"\n"
	tests := []struct {
		name, src, key string
	}{
		{"unknown class", "[[priority.rules]]\nsender = \"a@example.com\"\nclass = \"critical\" # <-", "priority.rules.class"},
		{"unknown max in second rule", "[[priority.rules]]\nsender = \"a@example.com\"\nclass = \"bulk\"\n" +
			"[[priority.rules]]\nsender = \"b@example.com\"\nmax = \"high\" # <-", "priority.rules.max"},
		{"no matcher", "[[priority.rules]] # <-\nclass = \"bulk\"", "priority.rules"},
		{"two matchers", "[[priority.rules]] # <-\nsender = \"a@example.com\"\nalias = \"oncall\"\nclass = \"bulk\"", "priority.rules"},
		{"neither class nor max", "[[priority.rules]] # <-\nsender = \"a@example.com\"", "priority.rules"},
		{"unknown user", "[[priority.rules]]\nuser = \"nobody\" # <-\nclass = \"urgent\"", "priority.rules.user"},
		{"unknown alias", "[[priority.rules]]\nalias = \"nobody\" # <-\nclass = \"urgent\"", "priority.rules.alias"},
		{"bad sender", "[[priority.rules]]\nsender = \"not an address\" # <-\nclass = \"urgent\"", "priority.rules.sender"},
		{"bad sender domain", "[[priority.rules]]\nsender = \"@bad domain\" # <-\nclass = \"urgent\"", "priority.rules.sender"},
		{"share too big", "[priority]\nbulk_share = 0.7 # <-", "priority.bulk_share"},
		{"negative share", "[priority]\nnormal_share = -0.1 # <-", "priority.normal_share"},
		{"unknown key", "[priority]\nurgent_share = 0.5 # <-", "priority.urgent_share"},
		{"unknown rule key", "[[priority.rules]]\nsender = \"a@example.com\"\nclass = \"bulk\"\nprio = 1 # <-", "priority.rules.prio"},
		{"bad campaign window", "[campaigns]\nwindow = \"8-20\" # <-", "campaigns.window"},
		{"empty campaign window", "[campaigns]\nwindow = \"08:00-08:00\" # <-", "campaigns.window"},
		{"unknown campaign zone", "[campaigns]\ntime_zone = \"Mars/Base\" # <-", "campaigns.time_zone"},
		{"negative campaign rate", "[campaigns]\nrate = -2.0 # <-", "campaigns.rate"},
		{"negative min_recipients", "[campaigns]\nmin_recipients = -1 # <-", "campaigns.min_recipients"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := sim + users + tc.src
			line := markedLine(src)
			_, err := Parse([]byte(src), "test.toml")
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v is not a *configs.Error", err, err)
			}
			want := fmt.Sprintf("test.toml:%d: %s: ", line, tc.key)
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("error %q does not contain %q", err, want)
			}
		})
	}
}

func TestCampaignPace(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(sim+"[campaigns]\nrate = 20.0\nwindow = \"08:00-20:00\"\n"), "c.toml")
	if err != nil {
		t.Fatal(err)
	}
	p := c.CampaignPace()
	if c.Campaigns.MinRecipients != defaultCampaignRecipients || p.Rate != 20 || p.Window.String() != "08:00-20:00" || p.Zone != "" {
		t.Errorf("campaigns %+v → %+v", c.Campaigns, p)
	}
	c, err = Parse([]byte(sim+"[campaigns]\ntime_zone = \"Europe/Zurich\"\n"), "c.toml")
	if err != nil || c.CampaignPace().Zone != "Europe/Zurich" || c.CampaignPace().Paced() {
		t.Errorf("zone: %+v %v", c.CampaignPace(), err)
	}
}

func TestPriorityRules(t *testing.T) {
	t.Parallel()
	src := sim + "[aliases]\noncall = [\"+14155550100\"]\n[priority]\nbulk_share = 0.2\n" +
		"[[priority.rules]]\nalias = \"OnCall\"\nclass = \"urgent\"\n" +
		"[[priority.rules]]\nsender = \"@news.example.com\"\nclass = \"bulk\"\nmax = \"bulk\"\n"
	c, err := Parse([]byte(src), "p.toml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Priority.BulkShare != 0.2 || c.Priority.NormalShare != defaultShare {
		t.Errorf("shares %+v", c.Priority)
	}
	got := fmt.Sprintf("%+v", c.PriorityRules())
	want := fmt.Sprintf("%+v", []priority.Rule{
		{Alias: "OnCall", Force: priority.Urgent, HasForce: true},
		{Sender: "@news.example.com", Force: priority.Bulk, HasForce: true, Max: priority.Bulk, HasMax: true},
	})
	if got != want {
		t.Errorf("rules %s\nwant  %s", got, want)
	}
}
