package priority

import (
	"strings"
	"testing"
)

func TestFromMail(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   Class
	}{
		{"no priority headers", "Subject: hi\r\n", Normal},
		{"Priority urgent", "Priority: urgent\r\n", Urgent},
		{"Priority case and comment", "Priority: URGENT (pager)\r\n", Urgent},
		{"Priority normal", "Priority: normal\r\n", Normal},
		{"Priority non-urgent", "Priority: non-urgent\r\n", Bulk},
		{"X-Priority 1 with comment", "X-Priority: 1 (Highest)\r\n", Urgent},
		{"X-Priority 2", "X-Priority: 2\r\n", Urgent},
		{"X-Priority 3", "X-Priority: 3 (Normal)\r\n", Normal},
		{"X-Priority 4", "X-Priority: 4\r\n", Bulk},
		{"X-Priority 5", "X-Priority: 5 (Lowest)\r\n", Bulk},
		{"X-Priority garbage", "X-Priority: high\r\n", Normal},
		{"Importance high", "Importance: High\r\n", Urgent},
		{"Importance low", "Importance: low\r\n", Bulk},
		{"Importance normal", "Importance: normal\r\n", Normal},
		{"Precedence bulk", "Precedence: bulk\r\n", Bulk},
		{"Precedence list", "Precedence: list\r\n", Bulk},
		{"Precedence junk", "Precedence: junk\r\n", Bulk},
		{"Precedence other", "Precedence: first-class\r\n", Normal},
		{"Precedence beats urgent", "Precedence: list\r\nX-Priority: 1\r\nImportance: high\r\n", Bulk},
		{"Priority beats X-Priority", "Priority: non-urgent\r\nX-Priority: 1\r\n", Bulk},
		{"X-Priority beats Importance", "X-Priority: 5\r\nImportance: high\r\n", Bulk},
		{"unknown Priority falls through", "Priority: whenever\r\nImportance: high\r\n", Urgent},
		{"all three urgent", "Priority: urgent\r\nX-Priority: 1\r\nImportance: high\r\n", Urgent},
		{"folded value", "Importance:\r\n high\r\n", Urgent},
		{"LF line ends", "X-Priority: 1\n", Urgent},
		{"header in body ignored", "Subject: x\r\n\r\nX-Priority: 1\r\n", Normal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mail := tt.header
			if !strings.Contains(mail, "\n\n") && !strings.Contains(mail, "\r\n\r\n") {
				mail += "\r\nbody\r\n"
			}
			if got := FromMail([]byte(mail)); got != tt.want {
				t.Errorf("FromMail(%q) = %v, want %v", tt.header, got, tt.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Class
		ok   bool
	}{
		{"urgent", Urgent, true}, {"Normal", Normal, true}, {"BULK", Bulk, true},
		{"high", Normal, false}, {"", Normal, false},
	} {
		got, err := Parse(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("Parse(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	var c Class
	if err := c.UnmarshalText([]byte("bulk")); err != nil || c != Bulk {
		t.Errorf("UnmarshalText(bulk) = %v, %v", c, err)
	}
	if b, err := Urgent.MarshalText(); err != nil || string(b) != "urgent" {
		t.Errorf("MarshalText(Urgent) = %q, %v", b, err)
	}
	if _, err := Class(9).MarshalText(); err == nil {
		t.Error("MarshalText(Class(9)) succeeded")
	}
}

func TestRankOrder(t *testing.T) {
	for i, c := range Classes {
		if c.Rank() != i {
			t.Errorf("%v.Rank() = %d, want %d", c, c.Rank(), i)
		}
	}
}

func TestResolve(t *testing.T) {
	rules := []Rule{
		{User: "monitoring", Force: Urgent, HasForce: true},
		{User: "marketing", Force: Bulk, HasForce: true},
		{User: "intern", Max: Normal, HasMax: true},
		{Sender: "nagios@example.com", Force: Urgent, HasForce: true},
		{Sender: "@news.example.com", Force: Bulk, HasForce: true},
		{Alias: "oncall", Force: Urgent, HasForce: true},
		{Alias: "everyone", Max: Bulk, HasMax: true},
	}
	tests := []struct {
		name  string
		asked Class
		o     Origin
		want  Class
	}{
		{"no rule matches", Urgent, Origin{User: "x", Sender: "a@b.c"}, Urgent},
		{"user forced urgent", Bulk, Origin{User: "monitoring"}, Urgent},
		{"user forced bulk", Urgent, Origin{User: "marketing"}, Bulk},
		{"user may not send urgent", Urgent, Origin{User: "intern"}, Normal},
		{"ceiling leaves bulk alone", Bulk, Origin{User: "intern"}, Bulk},
		{"sender forced", Normal, Origin{Sender: "NAGIOS@example.com"}, Urgent},
		{"sender domain forced", Urgent, Origin{Sender: "letter@news.example.com"}, Bulk},
		{"domain does not match a longer one", Normal, Origin{Sender: "a@xnews.example.com.org"}, Normal},
		{"alias forced", Normal, Origin{Aliases: []string{"OnCall"}}, Urgent},
		{"first forcing rule wins", Normal, Origin{User: "monitoring", Sender: "letter@news.example.com"}, Urgent},
		{"ceiling beats force", Normal, Origin{User: "monitoring", Aliases: []string{"everyone"}}, Bulk},
		{"forced then lowered by user ceiling", Normal, Origin{User: "intern", Aliases: []string{"oncall"}}, Normal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Resolve(tt.asked, rules, tt.o); got != tt.want {
				t.Errorf("Resolve(%v, %+v) = %v, want %v", tt.asked, tt.o, got, tt.want)
			}
		})
	}
}

func FuzzFromMail(f *testing.F) {
	f.Add([]byte("Priority: urgent\r\n\r\nbody"))
	f.Add([]byte("X-Priority: 1 (Highest)\nImportance: high\n\n"))
	f.Add([]byte("Precedence: list\r\n Folded\r\n\r\n"))
	f.Add([]byte(":\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if c := FromMail(data); !c.Valid() {
			t.Fatalf("FromMail returned %d", c)
		}
	})
}
