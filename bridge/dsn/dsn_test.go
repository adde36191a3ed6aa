package dsn

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
)

func TestComposeParses(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 26, 13, 45, 2, 0, time.UTC)
	cases := []struct {
		name    string
		report  Report
		subject string
		human   string
		status  []string
	}{
		{
			name: "delivered",
			report: Report{Action: Delivered, Status: "2.0.0", Number: "+1 415-123-4567",
				Recipient: "4151234567@sms.example.com", Subject: "Disk full"},
			subject: "Delivered: Disk full",
			human:   "Delivered to +1 415-123-4567 at 2026-11-26 13:45:02 UTC.",
			status:  []string{"Action: delivered", "Status: 2.0.0", "Final-Recipient: rfc822; 4151234567@sms.example.com"},
		},
		{
			name: "delivered with parts left out",
			report: Report{Action: Delivered, Status: "2.0.0", Number: "+1 415-123-4567",
				Recipient: "4151234567@sms.example.com", Subject: "Photo",
				Omitted: `"IMG_0001.JPG" (image/jpeg); the end of the text, cut to fit 6 SMS parts`},
			subject: "Delivered: Photo",
			human: "Delivered to +1 415-123-4567 at 2026-11-26 13:45:02 UTC.\r\n" +
				`The SMS does not carry everything in your mail: it left out "IMG_0001.JPG" (image/jpeg); the end of the text, cut to fit 6 SMS parts.`,
			status: []string{"Action: delivered", "Status: 2.0.0"},
		},
		{
			name: "failed with envid and orcpt",
			report: Report{Action: Failed, Status: "5.0.0", Number: "+1 415-555-0100", Reason: "the network says undeliverable",
				Diagnosis: "stat:UNDELIV err:001", Recipient: "oncall@sms.example.com", ORCPT: "rfc822;oncall@sms.example.com",
				EnvID: "QQ314159", Subject: "Grüße"},
			subject: "Undeliverable: Grüße",
			human:   "Not delivered: +1 415-555-0100: the network says undeliverable.",
			status:  []string{"Original-Envelope-Id: QQ314159", "Original-Recipient: rfc822;oncall@sms.example.com", "Diagnostic-Code: x-sms; stat:UNDELIV err:001", "Action: failed"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.report
			r.Hostname, r.From, r.To, r.MessageID = "gw.example.com", "smsbridge@sms.example.com", "alerts@example.com", "<orig@example.com>"
			r.Date, r.Arrival = at, at.Add(-time.Minute)
			r.Headers = []byte("Subject: x\nFrom: alerts@example.com\n")
			raw, err := Compose(&r)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
				t.Fatal("bare LF in report")
			}
			e, err := message.Read(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			subject, err := e.Header.Text("Subject")
			if err != nil || subject != tc.subject {
				t.Errorf("Subject = %q (%v), want %q", subject, err, tc.subject)
			}
			for key, want := range map[string]string{"In-Reply-To": "<orig@example.com>", "Auto-Submitted": "auto-replied", "To": "<alerts@example.com>"} {
				if got := e.Header.Get(key); got != want {
					t.Errorf("%s = %q, want %q", key, got, want)
				}
			}
			mt, params, _ := e.Header.ContentType()
			if mt != "multipart/report" || params["report-type"] != "delivery-status" {
				t.Fatalf("Content-Type %s %v", mt, params)
			}
			parts := readParts(t, e)
			if len(parts) != 3 {
				t.Fatalf("%d parts, want 3", len(parts))
			}
			if !strings.Contains(parts[0].body, tc.human) {
				t.Errorf("human part %q lacks %q", parts[0].body, tc.human)
			}
			if parts[1].contentType != "message/delivery-status" {
				t.Errorf("second part is %s", parts[1].contentType)
			}
			for _, s := range tc.status {
				if !strings.Contains(parts[1].body, s) {
					t.Errorf("delivery-status lacks %q:\n%s", s, parts[1].body)
				}
			}
			if parts[2].contentType != "text/rfc822-headers" || !strings.Contains(parts[2].body, "From: alerts@example.com\r\n") {
				t.Errorf("headers part: %s %q", parts[2].contentType, parts[2].body)
			}
		})
	}
}

type part struct{ contentType, body string }

func readParts(t *testing.T, e *message.Entity) []part {
	t.Helper()
	mr := e.MultipartReader()
	var out []part
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := p.Header.ContentType()
		b, _ := io.ReadAll(p.Body)
		out = append(out, part{ct, string(b)})
	}
}

func TestComposeFullAndDelayed(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 26, 13, 45, 2, 0, time.UTC)
	r := Report{Hostname: "gw.test", From: "smsbridge@sms.test", To: "ops@example.com", Subject: "Backup",
		Date: at, Recipient: "4151234567@sms.test", Number: "+1 415-123-4567", Action: Delayed, Status: "4.4.7",
		Reason: "the SMSC has not answered", RetryUntil: at.Add(20 * time.Hour),
		Headers: []byte("Subject: Backup\r\n"), Original: []byte("Subject: Backup\r\n\r\nThe whole mail.\r\n")}
	raw, err := Compose(&r)
	if err != nil {
		t.Fatal(err)
	}
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := e.Header.Text("Subject"); s != "Delayed: Backup" {
		t.Errorf("Subject %q", s)
	}
	parts := readParts(t, e)
	if len(parts) != 3 {
		t.Fatalf("%d parts", len(parts))
	}
	if !strings.Contains(parts[0].body, "Not yet delivered to +1 415-123-4567") {
		t.Errorf("human part %q", parts[0].body)
	}
	for _, s := range []string{"Action: delayed", "Status: 4.4.7", "Will-Retry-Until: Fri, 27 Nov 2026 09:45:02 +0000"} {
		if !strings.Contains(parts[1].body, s) {
			t.Errorf("delivery-status lacks %q:\n%s", s, parts[1].body)
		}
	}
	if parts[2].contentType != "message/rfc822" || !strings.Contains(parts[2].body, "The whole mail.") {
		t.Errorf("RET=FULL part: %s %q", parts[2].contentType, parts[2].body)
	}
}
