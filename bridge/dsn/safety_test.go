package dsn

import (
	"bufio"
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

var reportFields = []string{"From", "To", "Subject", "Date", "Message-Id", "In-Reply-To", "References", "Auto-Submitted", "Mime-Version", "Content-Type"}

// hostileReport carries line breaks and NULs in every value that comes
// from a sender's mail or session or from the network.
func hostileReport() Report {
	at := time.Date(2026, 11, 26, 13, 45, 2, 0, time.UTC)
	return Report{Hostname: "gw.test", From: "smsbridge@sms.test", To: "victim> ORCPT=rfc822;z@attacker.example",
		Subject: "Backup\r\nBcc: v@x.y", MessageID: "<a@b>\r\nBcc: v@x.y", EnvID: "Q\r\nBcc: v@x.y",
		Date: at, Arrival: at, Recipient: "4151234567@sms.test", ORCPT: "utf-8;a\r\nBcc: v@x.y\x00", Number: "+1 415\r\nBcc: v@x.y",
		Action: Failed, Status: "5.0.0", Reason: "no\r\n--boundary", Diagnosis: "stat:UNDELIV\r\nBcc: v@x.y\x00",
		Transport: "smsc\r\nBcc: v@x.y", Omitted: "2 pictures\r\nBcc: v@x.y", Original: []byte("Subject: x\r\n\r\nbody\r.\r\nmore\n.\nend")}
}

// TestComposeHostileValues: nothing echoed from the mail or the network
// adds a header field or a delivery-status field, and the recipient's
// quoted local part is written quoted.
func TestComposeHostileValues(t *testing.T) {
	t.Parallel()
	r := hostileReport()
	raw, err := Compose(&r)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("\x00")) || bytes.Contains(raw, []byte("\r.\r")) {
		t.Errorf("NUL or bare CR before a dot in the report:\n%q", raw)
	}
	for line := range strings.SplitSeq(string(raw), "\r\n") {
		if strings.HasPrefix(line, "Bcc:") {
			t.Errorf("injected header line %q", line)
		}
	}
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := fieldNames(e.Header.Header); !slices.Equal(got, slices.DeleteFunc(slices.Clone(reportFields), func(k string) bool { return k == "In-Reply-To" || k == "References" })) {
		t.Errorf("report header fields %v", got)
	}
	if to := e.Header.Get("To"); to != `<"victim> ORCPT=rfc822;z"@attacker.example>` {
		t.Errorf("To: %q", to)
	}
	parts := readParts(t, e)
	if len(parts) != 3 {
		t.Fatalf("%d parts", len(parts))
	}
	if strings.Count(parts[0].body, "\r\n") != 2 {
		t.Errorf("human part is not two lines (outcome, what was left out): %q", parts[0].body)
	}
	br := bufio.NewReader(strings.NewReader(parts[1].body))
	perMsg, err := textproto.ReadHeader(br)
	if err != nil {
		t.Fatal(err)
	}
	perRcpt, err := textproto.ReadHeader(br)
	if err != nil {
		t.Fatal(err)
	}
	if got := fieldNames(perMsg); !slices.Equal(got, []string{"Reporting-Mta", "Original-Envelope-Id", "Arrival-Date"}) {
		t.Errorf("per-message fields %v:\n%s", got, parts[1].body)
	}
	if got := fieldNames(perRcpt); !slices.Equal(got, []string{"Original-Recipient", "Final-Recipient", "Action", "Status", "Remote-Mta", "Diagnostic-Code", "Last-Attempt-Date"}) {
		t.Errorf("per-recipient fields %v:\n%s", got, parts[1].body)
	}
	if got := perRcpt.Get("Diagnostic-Code"); got != "x-sms; stat:UNDELIV Bcc: v@x.y" {
		t.Errorf("Diagnostic-Code %q", got)
	}
	if !strings.Contains(parts[2].body, "body\r\n.\r\nmore\r\n.\r\nend") {
		t.Errorf("RET=FULL part not in CRLF lines: %q", parts[2].body)
	}
}

func TestComposeRefusesUnwritableAddresses(t *testing.T) {
	t.Parallel()
	for _, to := range []string{"victim@example.net> ORCPT=rfc822;z@attacker.example", "a\r\nb@example.com", "", "x@exa mple.com"} {
		r := hostileReport()
		r.To = to
		if raw, err := Compose(&r); err == nil {
			t.Errorf("Compose with To %q: no error, wrote\n%s", to, raw)
		}
	}
}

func fieldNames(h textproto.Header) []string {
	var names []string
	for f := h.Fields(); f.Next(); {
		names = append(names, f.Key())
	}
	return names
}

// FuzzCompose: whatever the echoed values, the report's header has exactly
// its own fields, its To reads back as the address given, and the
// delivery-status part has exactly its own fields.
func FuzzCompose(f *testing.F) {
	r := hostileReport()
	f.Add(r.To, r.Subject, r.MessageID, r.EnvID, r.ORCPT, r.Recipient, r.Diagnosis, r.Reason, r.Original)
	f.Add("ops@example.com", "Grüße", "<x@y>", "", "", "oncall@sms.test", "", "", []byte(nil))
	f.Fuzz(func(t *testing.T, to, subject, msgID, envID, orcpt, rcpt, diag, reason string, original []byte) {
		r := hostileReport()
		r.To, r.Subject, r.MessageID, r.EnvID, r.ORCPT, r.Recipient, r.Diagnosis, r.Reason, r.Original = to, subject, msgID, envID, orcpt, rcpt, diag, reason, original
		raw, err := Compose(&r)
		if err != nil {
			return // an unwritable recipient: no report
		}
		e, err := message.Read(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("report does not parse: %v\n%q", err, raw)
		}
		for _, k := range fieldNames(e.Header.Header) {
			if !slices.Contains(reportFields, k) {
				t.Fatalf("extra header field %q:\n%q", k, raw)
			}
		}
		list, err := (&mail.Header{Header: e.Header}).AddressList("To")
		if err != nil || len(list) != 1 || list[0].Address != to {
			t.Fatalf("To %q reads back as %v (%v), want %q", e.Header.Get("To"), list, err, to)
		}
		parts := readParts(t, e)
		if len(parts) < 2 {
			t.Fatalf("%d parts:\n%q", len(parts), raw)
		}
		br := bufio.NewReader(strings.NewReader(parts[1].body))
		for _, allowed := range [][]string{
			{"Reporting-Mta", "Original-Envelope-Id", "Arrival-Date"},
			{"Original-Recipient", "Final-Recipient", "Action", "Status", "Remote-Mta", "Diagnostic-Code", "Last-Attempt-Date"},
		} {
			h, err := textproto.ReadHeader(br)
			if err != nil {
				t.Fatalf("delivery-status: %v\n%q", err, parts[1].body)
			}
			for _, k := range fieldNames(h) {
				if !slices.Contains(allowed, k) {
					t.Fatalf("extra delivery-status field %q:\n%q", k, parts[1].body)
				}
			}
		}
	})
}
