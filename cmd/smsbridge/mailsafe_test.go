package main

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/postfixtest"
)

// startTwoWayVia is startTwoWay with the gateway's smarthost a real
// Postfix, which relays everything to the sink: the sink then shows the
// exact RCPT TO Postfix used for each of the gateway's mails.
func startTwoWayVia(t *testing.T, config string) *twoWay {
	t.Helper()
	tw := newTwoWay(t)
	pf := postfixtest.Start(t, map[string]string{"relayhost": "[127.0.0.1]:" + portOf(tw.sink.Addr())})
	tw.start(t, config, pf.Addr)
	return tw
}

func portOf(hostPort string) string { return hostPort[strings.LastIndexByte(hostPort, ':')+1:] }

// sendRaw sends one mail whose data goes on the wire exactly as given
// (it must end with the final ".\r\n"), and returns the replies to MAIL
// and to the end of data ("" when MAIL was refused).
func sendRaw(t *testing.T, addr, mailFrom, rcptTo, data string) (mailReply, dataReply string) {
	t.Helper()
	c := dialSMTP(t, addr)
	if r := c.cmd("EHLO client.test"); !strings.HasPrefix(r, "250") {
		t.Fatal(r)
	}
	if mailReply = c.cmd("MAIL FROM:%s", mailFrom); !strings.HasPrefix(mailReply, "250") {
		return mailReply, ""
	}
	if r := c.cmd("RCPT TO:%s", rcptTo); !strings.HasPrefix(r, "250") {
		t.Fatalf("RCPT: %s", r)
	}
	if r := c.cmd("DATA"); !strings.HasPrefix(r, "354") {
		t.Fatalf("DATA: %s", r)
	}
	if _, err := io.WriteString(c.conn, data); err != nil {
		t.Fatal(err)
	}
	return mailReply, c.reply()
}

// TestReportRelayThroughPostfix (issue 20, 1): a quoted local part in MAIL
// FROM can no longer make a report's RCPT TO name another address. The
// issue's sender is refused at MAIL FROM; a quoted sender the gateway can
// write back gets its report, and the real Postfix smarthost relays it to
// exactly that address, quoted.
func TestReportRelayThroughPostfix(t *testing.T) {
	t.Parallel()
	tw := startTwoWayVia(t, dsnConfig)
	body := "Subject: Nightly\r\n\r\nthe attacker's whole mail\r\n.\r\n"

	r, _ := sendRaw(t, tw.smtp, `<"victim@example.net> ORCPT=rfc822;z"@attacker.example> RET=FULL`,
		"<4155550101@sms.test> NOTIFY=SUCCESS", body)
	if !strings.HasPrefix(r, "553 5.1.7 ") {
		t.Errorf("MAIL FROM with '@' in a quoted local part: %q, want 553 5.1.7", r)
	}

	quoted := `"victim> ORCPT=rfc822;z"@attacker.example`
	_, r = sendRaw(t, tw.smtp, "<"+quoted+"> RET=FULL", "<4155550102@sms.test> NOTIFY=SUCCESS", body)
	if !strings.HasPrefix(r, "250") {
		t.Fatalf("DATA: %s", r)
	}
	m := tw.waitMail(t, 1)
	if want := []string{"RCPT TO:<" + quoted + ">"}; len(m.Commands) < 2 || !slices.Equal(m.Commands[1:], want) {
		t.Errorf("Postfix relayed the report with %q, want %q", m.Commands, want)
	}
	if !bytes.Contains(m.Data, []byte("\r\nTo: <"+quoted+">\r\n")) {
		t.Errorf("report's To: is not the sender, quoted:\n%s", m.Data)
	}

	// Nothing else went anywhere: no report for the refused sender.
	time.Sleep(500 * time.Millisecond)
	for _, m := range tw.sink.Mails() {
		for _, to := range m.To {
			if strings.Contains(to, "example.net") {
				t.Errorf("a report reached %q", to)
			}
		}
	}
	if n := len(tw.sink.Mails()); n != 1 {
		t.Errorf("sink got %d mails, want 1", n)
	}
}

// TestInboundSenderCannotAddHeaders (issue 20, 2): an SMS whose source
// address (from a hostile SMSC) holds a line break becomes a mail whose
// header has exactly the gateway's fields, byte for byte on one line each.
func TestInboundSenderCannotAddHeaders(t *testing.T) {
	t.Parallel()
	tw := startTwoWay(t, twoWayConfig)
	tw.sendMO(t, "1415\r\nBcc: v@x.y", "hello\r\n.\r\nBcc: w@x.y")
	m := tw.waitMail(t, 1)
	head, _, ok := bytes.Cut(m.Data, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("no header end:\n%q", m.Data)
	}
	var names []string
	for line := range strings.SplitSeq(string(head), "\r\n") {
		if line == "" || line[0] == ' ' || line[0] == '\t' {
			t.Fatalf("empty or folded header line %q in\n%s", line, head)
		}
		name, _, _ := strings.Cut(line, ":")
		names = append(names, name)
	}
	want := []string{"From", "To", "Subject", "Date", "Message-Id", "X-Sms-Transport", "Mime-Version", "Content-Type", "Content-Transfer-Encoding"}
	if !slices.Equal(names, want) {
		t.Errorf("header fields %q, want %q:\n%s", names, want, head)
	}
	for _, want := range []string{"\r\nFrom: \"1415 Bcc: v@x.y\" <unknown-sender@sms.test>\r\n", "\r\nTo: <ops-desk@example.com>\r\n", "\r\nSubject: SMS from 1415 Bcc: v@x.y\r\n"} {
		if !bytes.Contains(append([]byte("\r\n"), m.Data...), []byte(want)) {
			t.Errorf("mail lacks %q:\n%s", want, m.Data)
		}
	}
	if !bytes.HasSuffix(m.Wire, []byte("\r\n.\r\n")) || bytes.Count(m.Wire, []byte("\r\n.\r\n")) != 1 {
		t.Errorf("data on the wire ends early or not at all:\n%q", m.Wire)
	}
}

// TestReportDotStuffing (issue 20, 3): an original mail with a bare CR or
// LF before a dot goes back in a RET=FULL report in CRLF lines,
// dot-stuffed, so the only end of data on the wire is the last one.
func TestReportDotStuffing(t *testing.T) {
	t.Parallel()
	tw := startTwoWay(t, dsnConfig)
	data := "Subject: Nightly\r\n\r\nbackup ok\r.\r\nMAIL FROM:<x@y.example>\r\nsmuggled\n.\nRCPT TO:<v@x.y>\r\n.\r\n"
	if _, r := sendRaw(t, tw.smtp, "<ops@example.com> RET=FULL", "<4155550101@sms.test> NOTIFY=SUCCESS", data); !strings.HasPrefix(r, "250") {
		t.Fatalf("DATA: %s", r)
	}
	m := tw.waitMail(t, 1)
	for _, want := range []string{"\r\nbackup ok\r\n..\r\nMAIL FROM:<x@y.example>\r\nsmuggled\r\n..\r\nRCPT TO:<v@x.y>\r\n"} {
		if !bytes.Contains(m.Wire, []byte(want)) {
			t.Errorf("report on the wire lacks %q:\n%q", want, m.Wire)
		}
	}
	for i, c := range m.Wire {
		if c == '\r' && (i+1 == len(m.Wire) || m.Wire[i+1] != '\n') || c == '\n' && (i == 0 || m.Wire[i-1] != '\r') {
			t.Fatalf("bare CR or LF at %d on the wire:\n%q", i, m.Wire)
		}
	}
	if n := bytes.Count(m.Wire, []byte("\r\n.\r\n")); n != 1 || !bytes.HasSuffix(m.Wire, []byte("\r\n.\r\n")) {
		t.Errorf("%d ends of data on the wire, want only the last:\n%q", n, m.Wire)
	}
}
